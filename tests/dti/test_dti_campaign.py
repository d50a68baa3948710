"""Campaigns end to end on both stores: automatic sub-indicators following the platform's data, submission
(late), review audited, results and ranks, an officer limited to their own unit, governance imports."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from conftest import login
from dieuhanh.core.audit import AuditEntry
from dieuhanh.core.errors import Conflict, InvalidInput, PermissionDenied
from dieuhanh.core.security import SYSTEM, Principal
from dieuhanh.dti import governance, opendata, service
from dieuhanh.dti.models import GovernanceIndex
from dieuhanh.indicators.models import IndicatorValue

ONLINE = "dvc_ty_le_truc_tuyen"


def _online(session, unit: str, months: dict[str, tuple[int, int]]) -> None:
    """Monthly values of the online-dossier indicator (numerator, denominator) for a department, as the indicator
    set stores them."""
    for period, (num, den) in months.items():
        session.add(IndicatorValue(code=ONLINE, period=period, unit_code=unit, level="agency",
                                   value=100.0 * num / den, numerator=num, denominator=den, status="neutral"))
    session.flush()


def _campaign(session, deadline: date = date(2026, 11, 30)):
    return service.create_campaign(session, principal=SYSTEM, framework="dti_so_nganh", year=2026,
                                   deadline=deadline, units=["SYT", "STP"])


def _sub(view: dict, code: str) -> dict:
    return next(s for p in view["pillars"] for i in p["indices"] for s in i["sub_indicators"] if s["code"] == code)


def test_automatic_sub_indicator_follows_the_platforms_data_until_the_campaign_closes(db, warehouse):
    with db.session() as s:
        _online(s, "SYT", {"2026-01": (30, 100), "2026-02": (50, 100), "2025-12": (100, 100)})
        c = _campaign(s)
        view = service.form_view(s, warehouse, principal=SYSTEM, campaign_id=c.id, unit="SYT")
        auto = _sub(view, "CQS.1.1")
        # the year's ratio (80/200 = 40 %, December 2025 not counted) → the 40 % threshold: half of 80 points
        assert (auto["automatic"], auto["locked"], auto["value"], auto["score"]) == (True, True, 40.0, 40.0)
        assert "01/2026–02/2026" in auto["source_text"] and "80/200" in auto["source_text"]
        assert service.results(s, warehouse, campaign_id=c.id)["results"][0]["total"] == 40.0
        _online(s, "SYT", {"2026-03": (190, 200)})  # the platform's data changes: 270/400 = 67,5 %
        # the results are kept per data version: the change shows in the next read (kept from the second read on;
        # the answer saved below shows at once too)
        for _ in range(2):
            assert service.results(s, warehouse, campaign_id=c.id)["results"][0]["total"] == 60.0
        auto = _sub(service.form_view(s, warehouse, principal=SYSTEM, campaign_id=c.id, unit="SYT"), "CQS.1.1")
        assert (auto["value"], auto["score"]) == (67.5, 60.0)
        with pytest.raises(Conflict, match="tự động"):
            service.save_answer(s, principal=SYSTEM, campaign_id=c.id, unit="SYT", sub_code="CQS.1.1", value=99)
        service.save_answer(s, principal=SYSTEM, campaign_id=c.id, unit="SYT", sub_code="NT.1.1", value=True)
        service.keep_results_current(s, warehouse)  # the scheduler's job: computes the pages' results now
        assert service.results(s, warehouse, level="department")["results"][0]["total"] == 80.0
        assert service.results(s, warehouse, campaign_id=c.id)["results"][0]["total"] == 80.0  # 60 + 20 (draft)
        service.close_campaign(s, warehouse, principal=SYSTEM, campaign_id=c.id)
        # never submitted: once closed only the automatic points count; published results become open data
        service.publish_campaign(s, warehouse, principal=SYSTEM, campaign_id=c.id, province_code="37")
        public = service.results(s, None, campaign_id=c.id, public=True)["results"]
        assert [(r["unit"], r["total"], r["provisional"]) for r in public] == [("SYT", 60.0, False),
                                                                                ("STP", 0.0, False)]
        opened = warehouse.query(f"SELECT ma_chi_so, diem, hang FROM {opendata.DATASET} WHERE ma_don_vi = 'SYT' "
                                 "ORDER BY ma_chi_so").to_pylist()
        assert len(opened) == 14 and {"ma_chi_so": "TONG", "diem": 60.0, "hang": 1} in opened
        _online(s, "SYT", {"2026-04": (0, 400)})  # after closing, the frozen value stays
        auto = _sub(service.form_view(s, warehouse, principal=SYSTEM, campaign_id=c.id, unit="SYT"), "CQS.1.1")
        assert auto["value"] == 67.5
        stp = _sub(service.form_view(s, warehouse, principal=SYSTEM, campaign_id=c.id, unit="STP"), "CQS.1.1")
        assert stp["value"] is None and stp["score"] is None and "chưa có số liệu" in stp["source_text"]


def test_late_submission_locks_the_form_and_review_adjustments_are_audited(db, warehouse, factory):
    _uid, officer, _pw = factory.user("officer", agency="SYT")
    syt = Principal(kind="user", name=officer, role="officer", agency_code="SYT")
    analyst = Principal(kind="user", name="tham-dinh", role="analyst")
    with db.session() as s:
        c = _campaign(s)
        a = service.save_answer(s, principal=syt, campaign_id=c.id, unit="SYT", sub_code="NT.4.1", value="65",
                                evidence=[{"title": "Danh sách lớp bồi dưỡng", "url": "https://syt.example/ds.pdf"}])
        assert a.score == 28.0  # ≥ 60 %: 0,7 × 40
        with pytest.raises(InvalidInput, match="Minh chứng thứ 1"):
            service.save_answer(s, principal=syt, campaign_id=c.id, unit="SYT", sub_code="NT.4.1", value=65,
                                evidence=[{"title": "x", "url": "javascript:alert(1)"}])
        with pytest.raises(Conflict, match="chưa nộp"):
            service.review_answer(s, principal=analyst, campaign_id=c.id, unit="SYT", sub_code="NT.4.1",
                                  score=10, comment="x")
        form = service.submit_form(s, principal=syt, campaign_id=c.id, unit="SYT",
                                   now=datetime(2026, 12, 1, 2, 0))  # 09:00 on 01/12 local, deadline 30/11
        assert form.late and form.status == "submitted"
        on_time = service.submit_form(s, principal=SYSTEM, campaign_id=c.id, unit="STP",
                                      now=datetime(2026, 11, 30, 16, 0))  # 23:00 local on the deadline day
        assert not on_time.late
        with pytest.raises(Conflict, match="khóa"):
            service.save_answer(s, principal=syt, campaign_id=c.id, unit="SYT", sub_code="NT.4.1", value=90)
        with pytest.raises(PermissionDenied):
            service.review_answer(s, principal=syt, campaign_id=c.id, unit="SYT", sub_code="NT.4.1", score=40,
                                  comment="tự nâng điểm")
        with pytest.raises(InvalidInput, match="lý do"):
            service.review_answer(s, principal=analyst, campaign_id=c.id, unit="SYT", sub_code="NT.4.1",
                                  score=12, comment=" ")
        reviewed = service.review_answer(s, principal=analyst, campaign_id=c.id, unit="SYT", sub_code="NT.4.1",
                                         score=12, comment="Chỉ 30 % có chứng nhận")
        assert (reviewed.review_state, service.final_score(reviewed)) == ("adjusted", 12)
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "dti.review")).one()
        assert entry.actor == "user:tham-dinh" and entry.before["self_score"] == 28.0
        assert entry.after["review_score"] == 12 and entry.after["comment"] == "Chỉ 30 % có chứng nhận"
        # more evidence reopens only that answer
        service.review_answer(s, principal=analyst, campaign_id=c.id, unit="SYT", sub_code="NT.5.2", score=None,
                              action="more_evidence", comment="Gửi biên bản diễn tập")
        service.save_answer(s, principal=syt, campaign_id=c.id, unit="SYT", sub_code="NT.5.2", value=True)
        rows = service.results(s, warehouse, campaign_id=c.id)
        syt_row = next(r for r in rows["results"] if r["unit"] == "SYT")
        assert syt_row["total"] == 32.0 and syt_row["indices"]["NT.4"] == 12 and syt_row["provisional"]
        assert syt_row["pillars"] == {"NT": 32.0, "CQS": 0.0, "KTXH": 0.0} and syt_row["late"]
        assert [r["rank"] for r in rows["results"]] == [1, 2] and rows["partial"]


def test_api_contract_and_an_officer_sees_and_answers_only_their_own_units_form(client, factory, db, warehouse):
    _i, admin, _p = factory.user("analyst")
    _j, officer, _q = factory.user("officer", agency="STP")
    _r, token = login(client, admin)
    h = {"X-CSRF-Token": token}
    yaml_text = (service.BUILTIN / "so_nganh.yaml").read_text(encoding="utf-8").replace(
        "code: dti_so_nganh", "code: dti_thu_nghiem", 1)
    r = client.post("/api/v1/dti/frameworks", content=yaml_text.encode(), headers={**h, "Content-Type":
                                                                                   "application/yaml"})
    assert r.status_code == 201, r.text
    got = client.get("/api/v1/dti/frameworks/dti_thu_nghiem").json()
    assert got["total_points"] == 1000 and got["level"] == "department"
    r = client.post("/api/v1/dti/campaigns", json={"framework": "dti_thu_nghiem", "year": 2026,
                                                   "units": ["SYT", "STP"], "deadline": "2026-12-20"}, headers=h)
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    bad = client.post("/api/v1/dti/campaigns", json={"framework": "dti_thu_nghiem", "year": 2027,
                                                     "units": ["UBND13285"], "deadline": "2027-12-20"}, headers=h)
    assert bad.status_code == 422 and "UBND13285" in bad.json()["detail"]
    r = client.post("/api/v1/governance-indices", json={"index": "papi", "year": 2024, "province_code": "37",
                                                        "value": 44.2, "rank": 17, "components": {"Công khai": 5.9}},
                    headers=h)
    assert r.status_code == 201 and r.json()["rank_of"] == 63
    board = client.get("/chinh-quyen-so")
    assert board.status_code == 200 and "44,20" in board.text and "17/63" in board.text
    client.post("/logout", headers=h)
    _r, token = login(client, officer)
    h = {"X-CSRF-Token": token}
    assert client.get(f"/api/v1/dti/campaigns/{cid}/units/SYT").status_code == 403
    assert client.put(f"/api/v1/dti/campaigns/{cid}/units/SYT/answers/NT.1.1", json={"value": True},
                      headers=h).status_code == 403
    own = client.get(f"/api/v1/dti/campaigns/{cid}/units/STP").json()
    assert own["unit_name"] == "Sở Tư pháp" and _sub(own, "CQS.1.1")["locked"]
    r = client.put(f"/api/v1/dti/campaigns/{cid}/units/STP/answers/NT.1.1",
                   files={"file": ("quyet-dinh.pdf", b"%PDF-1.4 minh chung", "application/pdf")},
                   data={"value": "true", "evidence": '[{"title": "QĐ phân công", "url": "https://stp.example/qd"}]'},
                   headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["score"] == 20 and r.json()["files"] == 1
    page_post = client.post(f"/chuyen-doi-so/danh-gia/{cid}/STP/tra-loi/NT.3.1",
                            data={"csrf_token": token, "value": "92,5", "evidence": "Báo cáo hạ tầng https://stp.example/ht"},
                            follow_redirects=False)
    assert page_post.status_code == 303 and "loi=" not in page_post.headers["location"]
    wrong = client.post(f"/chuyen-doi-so/danh-gia/{cid}/STP/tra-loi/NT.3.1",
                        data={"csrf_token": token, "value": "nhiều"}, follow_redirects=True)
    assert "NT.3.1: giá trị phải là một số" in wrong.text
    assert _sub(client.get(f"/api/v1/dti/campaigns/{cid}/units/STP").json(), "NT.3.1")["score"] == 28.0
    assert client.post(f"/api/v1/dti/campaigns/{cid}/units/STP/submit", headers=h).json()["status"] == "submitted"
    assert client.post(f"/api/v1/dti/campaigns/{cid}/units/STP/review/NT.1.1", json={"score": 5, "comment": "x"},
                       headers=h).status_code == 403
    res = client.get(f"/api/v1/dti/results?campaign={cid}").json()
    assert [(r["unit"], r["total"], r["rank"]) for r in res] == [("STP", 48.0, 1), ("SYT", 0.0, 2)]
    assert set(res[0]) >= {"unit", "total", "pillars", "indices", "rank"} and res[0]["pillars"]["NT"] == 48.0
    page = client.get("/chuyen-doi-so")
    assert page.status_code == 200 and "Sở Tư pháp" in page.text and "Tạm tính đến" in page.text
    xlsx = client.get("/chuyen-doi-so/xuat.xlsx?cap=so-nganh")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    assert "tạm tính đến" in sheet["A2"].value and sheet["C4"].value == "Tổng điểm"
    assert [c.value for c in sheet[5]][:3] == [1, "Sở Tư pháp", 48.0]
    pdf = client.get("/chuyen-doi-so/xuat.pdf?cap=so-nganh")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    from weasyprint import HTML

    from dieuhanh.dashboard.exports import document_text
    from dieuhanh.dti import service as dti_service
    from dieuhanh.dti.export import results_html

    with db.session() as s:  # the text the PDF lays out: names, Vietnamese numbers, the provisional mark
        data = dti_service.results(s, warehouse, level="department")
        html = results_html(data, data["results"], title="Kết quả", as_of="07/12/2026", province="tỉnh Ninh Bình",
                            today="07/12/2026")
    text = " ".join(t for t, _ in document_text(HTML(string=html).render()))
    assert "Sở Tư pháp" in text and "48,0" in text and "TẠM TÍNH ĐẾN 07/12/2026" in text and "STP" not in text
    form_page = client.get(f"/chuyen-doi-so/danh-gia/{cid}/STP")
    assert "quyet-dinh.pdf" in form_page.text and "Đã nộp" in form_page.text


def test_governance_table_import_is_atomic_with_row_and_column_errors(db):
    bad = "year,value,rank,Chính quyền số\n2023,\"0,6412\",18,0.61\n2024,cao,15,0.6\n".encode()
    with db.session() as s:
        with pytest.raises(InvalidInput) as exc:
            governance.import_file(s, principal=SYSTEM, name="dti.csv", content=bad, index="dti",
                                   province_code="37")
        assert "dòng 3" in exc.value.message and "«value»" in exc.value.message
        too_far = b"year,value,rank\n2024,1,64\n"
        with pytest.raises(InvalidInput, match="rank: phải không quá 63"):
            governance.import_file(s, principal=SYSTEM, name="dti.csv", content=too_far, index="dti",
                                   province_code="37")
        s.rollback()
    with db.session() as s:
        assert s.scalars(select(GovernanceIndex).where(GovernanceIndex.index == "dti")).first() is None
        good = bad.replace(b"cao", b'"0,6851"')
        rows = governance.import_file(s, principal=SYSTEM, name="dti.csv", content=good, index="dti",
                                      province_code="37")
        assert [(x.year, x.value, x.rank, x.components) for x in rows] == [
            (2023, 0.6412, 18, {"chính quyền số": 0.61}), (2024, 0.6851, 15, {"chính quyền số": 0.6})]
        assert governance.out(rows[0])["name"].startswith("Chỉ số chuyển đổi số")
