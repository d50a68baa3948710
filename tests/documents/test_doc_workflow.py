"""Routing learned from confirmed assignments, bút phê, progress, deadlines, the overdue alert and the figures per
department (both stores)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from conftest import csrf_from, login
from dieuhanh.alerts import service as alerts
from dieuhanh.alerts.models import AlertInstance
from dieuhanh.alerts.schemas import RuleIn
from dieuhanh.core.errors import Conflict, PermissionDenied
from dieuhanh.core.security import SYSTEM, Principal
from dieuhanh.documents import service
from dieuhanh.documents.models import RoutingModel
from dieuhanh.documents.schemas import DocumentIn

API = "/api/v1/documents"
TODAY = date(2026, 4, 20)
NOW = datetime(2026, 4, 20, 3, 0)  # 10:00 in Vietnam

# Subjects per department: what the office routed in the past (the routing history the model learns from).
HISTORY = {
    "SYT": ["phòng, chống dịch sốt xuất huyết", "tiêm chủng vắc xin sởi cho trẻ em", "an toàn thực phẩm dịp lễ",
            "khám chữa bệnh bảo hiểm y tế tại bệnh viện", "cung ứng thuốc cho bệnh viện tuyến tỉnh"],
    "STC": ["dự toán ngân sách nhà nước năm sau", "quyết toán kinh phí chương trình mục tiêu",
            "bổ sung kinh phí an sinh xã hội", "sắp xếp tài sản công là nhà, đất", "điều hành giá mặt hàng thiết yếu"],
    "SGDDT": ["tuyển sinh lớp 10 trung học phổ thông", "kỳ thi tốt nghiệp trung học phổ thông",
              "an toàn trường học cho học sinh", "đội ngũ giáo viên mầm non", "nhiệm vụ năm học mới"],
}


def _history(session, n_rounds: int = 3) -> None:
    """Confirmed routings: each subject registered and assigned ``n_rounds`` times (with cooperating SYT for
    school safety)."""
    day = date(2026, 1, 5)
    for r in range(n_rounds):
        for lead, subjects in HISTORY.items():
            for i, subject in enumerate(subjects):
                doc = service.register(session, principal=SYSTEM, data=DocumentIn(
                    Subject=f"{subject} đợt {r + 1}", OrganName="Bộ chủ quản", CodeNumber=f"{r}{i}",
                    CodeNotation=f"{lead}-VP", ArrivalDate=day), now=NOW).document
                coop = ["SYT"] if lead == "SGDDT" and i == 2 else []
                service.assign(session, principal=SYSTEM, document=doc, lead=lead, cooperating=coop,
                               due_date=day + timedelta(days=10), instruction=None, now=NOW)


def test_routing_is_learned_from_confirmed_assignments(db):
    with db.session() as s:
        _history(s)
        assert s.scalar(select(RoutingModel.id)) is not None  # trained at the 30th confirmed example
        model = service.train(s, principal=SYSTEM)
        assert model.examples == 45 and set(model.classes) == {"SYT", "STC", "SGDDT"}
        doc = service.register(s, principal=SYSTEM, data=DocumentIn(
            Subject="Phòng, chống dịch sốt xuất huyết mùa mưa", OrganName="Bộ chủ quản", ArrivalDate=TODAY),
            now=NOW).document
        leads = [x for x in doc.suggestions if x["role"] == "chu_tri"]
        assert leads[0]["agency_code"] == "SYT" and leads[0]["confidence"] > leads[1]["confidence"]
        assert len(leads) == 3
        safety = service.register(s, principal=SYSTEM, data=DocumentIn(
            Subject="An toàn trường học cho học sinh dịp hè", ArrivalDate=TODAY), now=NOW).document
        assert safety.suggestions[0]["agency_code"] == "SGDDT"
        assert {"agency_code": "SYT", "role": "phoi_hop"}.items() <= next(
            x for x in safety.suggestions if x["role"] == "phoi_hop").items()


def test_low_confidence_is_marked_for_review(db, settings):
    with db.session() as s:
        _history(s, n_rounds=2)
        odd = service.register(s, principal=SYSTEM, data=DocumentIn(
            Subject="Đăng cai giải đua thuyền rồng quốc tế"), settings=settings, now=NOW).document
        assert odd.needs_review and odd.suggestion_confidence < settings.documents_review_threshold
        settings.documents_review_threshold = 0.0
        service.suggest(s, odd, settings=settings)
        assert not odd.needs_review


def test_before_any_model_keywords_propose_and_everything_is_reviewed(db):
    with db.session() as s:
        doc = service.register(s, principal=SYSTEM, data=DocumentIn(
            Subject="Tăng cường phòng, chống dịch bệnh sốt xuất huyết"), now=NOW).document
        assert doc.suggestions[0]["agency_code"] == "SYT" and doc.needs_review
        assert service.routing_view(s, doc, principal=SYSTEM)["method"] == "keywords"


def test_assign_track_complete_and_overdue_alert(client, factory, db):
    leader_id, leader, _ = factory.user("leader")
    _, syt_officer, _ = factory.user("officer", agency="SYT")
    _, stc_officer, _ = factory.user("officer", agency="STC")
    _, clerk_token = factory.token(["documents"], agency="VPUBND")
    with db.session() as s:
        alerts.create_rule(s, principal=SYSTEM, rule_in=RuleIn(
            name="Văn bản quá hạn", indicator_code="documents.overdue", kind="source", params={"min_overdue": 1},
            severity="warning"))
    old = client.post(API, json={"Subject": "Báo cáo tình hình dịch sốt xuất huyết", "ArrivalDate": "2026-01-05",
                                 "CodeNumber": "5", "CodeNotation": "BYT-DP", "OrganName": "Bộ Y tế"},
                      headers={"Authorization": f"Bearer {clerk_token}"}).json()
    login(client, leader)
    csrf = {"X-CSRF-Token": csrf_from(client)}
    routing = client.get(f"{API}/{old['id']}/routing").json()
    assert {"agency_code", "role", "confidence"} <= set(routing["suggestions"][0])
    r = client.post(f"{API}/{old['id']}/assign", headers=csrf, json={
        "lead": "SYT", "cooperating": ["STC", "SYT"], "due_date": "2026-01-20", "instruction": "Khẩn trương."})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert (doc["lead"], doc["cooperating"], doc["handling_due"], doc["status"]) == ("SYT", ["STC"], "2026-01-20",
                                                                                      "assigned")
    assert doc["deadline_state"] == "overdue"
    assert client.post(f"{API}/{old['id']}/assign", headers=csrf, json={"lead": "KHONGCO"}).status_code == 422
    overdue = client.get(f"{API}?status=overdue&agency=SYT").json()
    assert [d["id"] for d in overdue["items"]] == [old["id"]]
    with db.session() as s:
        states = {i.unit_code: i.state for i in s.scalars(select(AlertInstance))}
    assert states == {"SYT": "Alerting"}
    # the cooperating department adds a note but may not complete; the lead department completes
    client.cookies.clear()
    login(client, stc_officer)
    csrf = {"X-CSRF-Token": csrf_from(client)}
    assert client.get(f"{API}?status=open").json()["total"] == 1
    assert client.post(f"{API}/{old['id']}/progress", headers=csrf, json={"done": True}).status_code == 403
    url = f"{API}/{old['id']}/progress"
    assert client.post(url, headers=csrf, json={"note": "Đã bố trí kinh phí."}).status_code == 200
    client.cookies.clear()
    login(client, syt_officer)
    csrf = {"X-CSRF-Token": csrf_from(client)}
    assert client.post(url, headers=csrf, json={"progress": 60}).json()["status"] == "in_progress"
    done = client.post(url, headers=csrf, json={"done": True, "note": "Đã báo cáo Bộ."}).json()
    assert done["status"] == "done" and done["deadline_state"] == "done_late"
    assert [e["action"] for e in done["events"]] == ["registered", "assigned", "contribution", "progress", "completed"]
    assert client.post(f"{API}/{old['id']}/progress", headers=csrf, json={"progress": 70}).status_code == 409
    with db.session() as s:
        states = {i.unit_code: i.state for i in s.scalars(select(AlertInstance))}
        stats = service.department_stats(s, principal=SYSTEM, month=service.today_local().strftime("%Y-%m"))
    assert states == {"SYT": "Normal"}
    row = next(r for r in stats if r["agency_code"] == "SYT")
    assert (row["completed"], row["on_time"], row["on_time_rate"]) == (1, 0, 0.0)


def test_only_leaders_assign_and_a_done_document_needs_reopening(db):
    officer = Principal(kind="user", id=5, name="cb", role="officer", agency_code="SYT")
    with db.session() as s:
        doc = service.register(s, principal=SYSTEM, data=DocumentIn(Subject="Kế hoạch tiêm chủng"), now=NOW).document
        with pytest.raises(PermissionDenied):
            service.assign(s, principal=officer, document=doc, lead="SYT", cooperating=[], due_date=None,
                           instruction=None)
        service.assign(s, principal=SYSTEM, document=doc, lead="SYT", cooperating=[], due_date=None,
                       instruction=None, now=NOW)
        assert doc.handling_due == service.working_days_adder(None)(doc.arrival_date, 10)
        service.report_progress(s, principal=SYSTEM, document=doc, progress=None, note=None, done=True, now=NOW)
        with pytest.raises(Conflict):
            service.assign(s, principal=SYSTEM, document=doc, lead="STC", cooperating=[], due_date=None,
                           instruction=None)
        service.reopen(s, principal=SYSTEM, document=doc, note="Chưa đủ số liệu", now=NOW)
        assert doc.status == "in_progress" and doc.completed_at is None


def test_snapshot_feeds_the_indicators_per_department(db, warehouse):
    from dieuhanh.documents import snapshot
    from dieuhanh.indicators import service as indicators
    from dieuhanh.indicators.models import IndicatorValue
    from dieuhanh.indicators.service import library_paths

    with db.session() as s:
        # March: SYT gets one (finished in 4 days, on time), STC one it leaves open past its deadline (5/3).
        doc = service.register(s, principal=SYSTEM, data=DocumentIn(
            Subject="Báo cáo dịch bệnh", ArrivalDate=date(2026, 3, 2)), now=NOW).document
        service.assign(s, principal=SYSTEM, document=doc, lead="SYT", cooperating=[], due_date=date(2026, 3, 10),
                       instruction=None, now=NOW)
        late = service.register(s, principal=SYSTEM, data=DocumentIn(
            Subject="Báo cáo ngân sách", ArrivalDate=date(2026, 3, 3)), now=NOW).document
        service.assign(s, principal=SYSTEM, document=late, lead="STC", cooperating=[], due_date=date(2026, 3, 5),
                       instruction=None, now=NOW)
        service.report_progress(s, principal=SYSTEM, document=doc, progress=None, note=None, done=True,
                                now=datetime(2026, 3, 6, 3, 0))
        assert snapshot.snapshot(s, warehouse, province_code="37", max_bytes=10**7, now=NOW) == 2
        columns = set(warehouse.query(f"SELECT * FROM {snapshot.DATASET} LIMIT 1").column_names)
        assert not columns & {"subject", "trich_yeu", "text", "noi_dung"}
        indicators.load_library(s, paths=[p for p in library_paths() if p.parent.name == "documents"])
        codes = ["van_ban_den_tiep_nhan", "van_ban_hoan_thanh_dung_han", "ty_le_van_ban_dung_han", "van_ban_qua_han",
                 "so_ngay_xu_ly_van_ban"]
        summary = indicators.compute(s, warehouse, codes=codes, province_code="37")
        assert summary.errors == {}
        got = {(v.code, v.period, v.level, v.unit_code): v.value for v in s.scalars(select(IndicatorValue))}
    assert got[("van_ban_den_tiep_nhan", "2026-03", "province", "37")] == 2
    assert got[("van_ban_den_tiep_nhan", "2026-03", "agency", "SYT")] == 1
    assert got[("van_ban_hoan_thanh_dung_han", "2026-03", "agency", "SYT")] == 1
    assert got[("ty_le_van_ban_dung_han", "2026-03", "province", "37")] == 100.0
    assert got[("van_ban_qua_han", "2026-03", "agency", "STC")] == 1
    assert got[("van_ban_qua_han", "2026-03", "agency", "SYT")] == 0
    assert got[("so_ngay_xu_ly_van_ban", "2026-03", "province", "37")] == 4.0
