"""Plans submitted by agencies through the API, the merged plan's conflicts, the proposal, signing and publication,
and the analysts' decisions on matches (both stores)."""

from __future__ import annotations

from sqlalchemy import func, select

from dieuhanh.core.audit import AuditEntry
from dieuhanh.core.security import SYSTEM
from dieuhanh.inspections import service
from dieuhanh.inspections.models import Visit

API = "/api/v1/inspections"
YEAR = 2027
REGISTER = [
    {"tax_code": "0100233488", "name": "Công ty TNHH Thực phẩm Minh Phát",
     "address": "Số 12, đường Lê Lợi, Phường Phủ Lý, Ninh Bình", "unit_code": "13285", "legal_rep": "Nguyễn Văn Hùng"},
    {"tax_code": "0314409058", "name": "Công ty Cổ phần Dệt may Hoàng Long",
     "address": "Thôn 3, Xã Kim Bảng, Ninh Bình", "legal_rep": "Trần Thị Mai"},
    {"tax_code": "0314409058-001", "name": "Chi nhánh Công ty Cổ phần Dệt may Hoàng Long tại Phường Phủ Lý",
     "address": "Số 5, đường Trần Phú, Phường Phủ Lý, Ninh Bình"},
    {"tax_code": "0100109106", "name": "Công ty TNHH Thực phẩm Minh Phú",
     "address": "Số 40, đường Trần Phú, Phường Phủ Lý, Ninh Bình"},
]


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def visit(**kw):  # noqa: ANN003, ANN201
    return {"kind": "kiem_tra", "content_code": "ATTP", "month": 5, "address": "", **kw}


def load_register(db) -> None:  # noqa: ANN001
    with db.session() as s:
        service.load_register(s, principal=SYSTEM, rows=REGISTER)


def test_plans_conflicts_proposal_signing_and_publication(client, factory, db):
    load_register(db)
    _, syt = factory.token(["inspections"], agency="SYT")
    _, cat = factory.token(["inspections"], agency="CAT")
    _, ttt = factory.token(["inspections"], agency="TTT")
    # a bad plan: every error listed by visit and field, nothing stored
    bad = {"agency_code": "SYT", "year": YEAR, "visits": [
        visit(enterprise_name="Công ty TNHH Thực phẩm Minh Phát", tax_code="0100233480"),
        visit(enterprise_name="", kind="thanh tra x", content_code="ZZZ", month=13)]}
    r = client.post(f"{API}/plans", json=bad, headers=bearer(syt))
    assert r.status_code == 422, r.text
    errors = {(e.get("index"), e.get("field")) for e in r.json()["errors"]}
    assert errors == {(0, "tax_code"), (1, "enterprise_name"), (1, "kind"), (1, "content_code"), (1, "month")}
    assert "chữ số kiểm tra" in r.text
    # another agency's token may not submit for SYT
    assert client.post(f"{API}/plans", json={**bad, "visits": []}, headers=bearer(cat)).status_code == 403
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Visit)) == 0
    # SYT knows the tax code; CAT writes the name its own way, with an old address; TTT inspects the same content
    r = client.post(f"{API}/plans", headers=bearer(syt), json={"agency_code": "SYT", "year": YEAR, "visits": [
        visit(enterprise_name="Công ty TNHH Thực phẩm Minh Phát", tax_code="0100233488", month=3),
        visit(enterprise_name="Công ty CP Dệt may Hoàng Long", tax_code="0314409058", content_code="ATLD", month=4,
              violation_signs=True, basis_document="Đơn phản ánh số 15/2026")]})
    assert r.status_code == 201, r.text
    r = client.post(f"{API}/plans", headers=bearer(cat), json={
        "agency_code": "CAT", "year": YEAR, "capacity_per_month": 2, "blackout_months": [2, 12], "visits": [
            visit(enterprise_name="CTY TNHH THUC PHAM MINH PHAT", address="12 Lê Lợi, P. Phủ Lý",
                  content_code="PCCC", month=3),
            visit(enterprise_name="Chi nhánh Cty CP Dệt may Hoàng Long", tax_code="0314409058-001",
                  content_code="PCCC", month=6),
            visit(enterprise_name="Công ty CP Dệt may Hoàng Long", tax_code="0314409058", content_code="PCCC",
                  month=6)]})
    assert r.status_code == 201, r.text
    cat_visits = r.json()["visits"]
    assert cat_visits[0]["match_status"] == "auto" and cat_visits[0]["match_score"] >= 0.9
    r = client.post(f"{API}/plans", headers=bearer(ttt), json={"agency_code": "TTT", "year": YEAR, "visits": [
        visit(enterprise_name="Công ty TNHH Thực phẩm Minh Phát", tax_code="0100233488", kind="thanh_tra",
              month=9)]})
    assert r.status_code == 201, r.text
    conflicts = client.get(f"{API}/conflicts?year={YEAR}", headers=bearer(ttt)).json()
    found = {(c["tax_code"], c["rule"]) for c in conflicts}
    assert found == {("0100233488", "once_kiem_tra"), ("0100233488", "same_content"), ("0100233488", "mergeable"),
                     ("0314409058-001", "branch_parent")}  # the visit with signs of violation is exempt
    assert all(c["legal_basis"].startswith("Nghị quyết 198/2025/QH15") and c["visits"] for c in conflicts)
    with db.session() as s:  # the alert source tells the inspectorate, naming the agencies
        from datetime import datetime

        from dieuhanh.inspections.alerting import SOURCE

        firing = {c.key: c.message for c in SOURCE.evaluate(s, {}, datetime(2026, 12, 7, 3)) if c.firing}
    assert list(firing) == ["TTT"] and "năm 2027: 4 xung đột" in firing["TTT"] and "Công an tỉnh 3" in firing["TTT"]
    ent = client.get(f"{API}/enterprises/{conflicts[0]['enterprise_id']}", headers=bearer(ttt)).json()
    assert ent["tax_code"] == "0100233488" and {x["agency_code"] for x in ent["records"]} == {"SYT", "CAT", "TTT"}
    # signing is refused while conflicts remain (officers and tokens may not sign at all)
    _, _, _ = factory.user("leader", username="chu-tich")
    from conftest import csrf_from, login

    login(client, "chu-tich")
    token = csrf_from(client)
    r = client.post(f"{API}/sign?year={YEAR}", headers={"X-CSRF-Token": token})
    assert r.status_code == 409 and "còn 4 xung đột" in r.json()["detail"]
    proposal = client.post(f"{API}/optimise?year={YEAR}", headers=bearer(ttt)).json()
    assert proposal["conflicts_after"] == 0 and proposal["changes"]
    assert {c["action"] for c in proposal["changes"]} <= {"merge", "move", "drop"}
    assert max(proposal["workload"]["after"]["CAT"].values()) <= 2
    assert proposal["workload"]["capacity"]["CAT"] == 2 and proposal["workload"]["blackout"]["CAT"] == [2, 12]
    accepted = client.post(f"{API}/proposals/{proposal['id']}/accept", headers=bearer(ttt))
    assert accepted.status_code == 200, accepted.text
    assert client.get(f"{API}/conflicts?year={YEAR}", headers=bearer(ttt)).json() == []
    assert client.get(f"{API}/published?year={YEAR}").json() == []  # not signed yet
    r = client.post(f"{API}/sign?year={YEAR}", headers={"X-CSRF-Token": token})
    assert r.status_code == 200, r.text
    public = client.get(f"{API}/published?year={YEAR}", headers={"Cookie": ""}).json()
    assert public and set(public[0]) >= {"enterprise", "kind", "content_code", "month", "agency"}
    assert not any("address" in row or "legal_rep" in row for row in public)
    # after publication the inspectorate may still move a visit, with a reason kept in the audit log
    moved_id = public[0]["visit_id"] if "visit_id" in public[0] else None
    with db.session() as s:
        target = s.scalar(select(Visit).where(Visit.tax_code == "0314409058", Visit.agency_code == "SYT"))
        assert target is not None
        target_id, target_month = target.id, target.final_month
    assert moved_id is None
    r = client.post(f"{API}/visits/{target_id}/move", headers=bearer(ttt),
                    json={"month": 11 if target_month != 11 else 10, "reason": "Doanh nghiệp đề nghị lùi lịch"})
    assert r.status_code == 200, r.text
    # the plan is closed: a new submission is refused
    again = client.post(f"{API}/plans", headers=bearer(syt), json={"agency_code": "SYT", "year": YEAR, "visits": [
        visit(enterprise_name="Công ty TNHH Thực phẩm Minh Phát", tax_code="0100233488")]})
    assert again.status_code == 409
    with db.session() as s:
        actions = set(s.scalars(select(AuditEntry.action).where(AuditEntry.action.like("inspections.%"))))
    assert {"inspections.plan.submit", "inspections.optimise", "inspections.proposal.accept",
            "inspections.plan.sign", "inspections.visit.move_after_publication"} <= actions


def test_an_analysts_split_is_honoured_when_the_plan_is_submitted_again(client, factory, db):
    load_register(db)
    _, syt = factory.token(["inspections"], agency="SYT")
    plan = {"agency_code": "SYT", "year": YEAR, "visits": [
        # the register's name without any address: uncertain (there may be two enterprises of that name)
        visit(enterprise_name="Cty TNHH Thực phẩm Minh Phát")]}
    first = client.post(f"{API}/plans", json=plan, headers=bearer(syt)).json()["visits"][0]
    assert first["match_status"] == "review" and first["candidate_id"], first
    _, _, _ = factory.user("analyst", username="phan-tich")
    from conftest import csrf_from, login

    login(client, "phan-tich")
    queue = client.get(f"{API}/matches?year={YEAR}").json()
    assert [q["id"] for q in queue] == [first["id"]]
    r = client.post(f"{API}/matches/{first['id']}/split", headers={"X-CSRF-Token": csrf_from(client)})
    assert r.status_code == 200, r.text
    assert r.json()["enterprise_id"] != first["candidate_id"] and r.json()["match_status"] == "split"
    again = client.post(f"{API}/plans", json=plan, headers=bearer(syt)).json()["visits"][0]
    assert again["match_status"] == "split" and again["enterprise_id"] != first["candidate_id"]
    assert client.get(f"{API}/matches?year={YEAR}", headers=bearer(syt)).json() == []


NAMES = ["An Phát", "Bình Minh", "Hoàng Gia", "Thành Công", "Đại Dương", "Phú Thịnh", "Minh Khang", "Hải Âu",
         "Sông Đáy", "Lam Sơn", "Tràng An", "Vạn Xuân"]


def test_an_agencys_limits_are_set_by_api_and_the_proposal_balances_its_months(client, factory, db):
    _, sxd = factory.token(["inspections"], agency="SXD")
    _, syt = factory.token(["inspections"], agency="SYT")
    _, ttt = factory.token(["inspections"], agency="TTT")
    plan = {"agency_code": "SXD", "year": YEAR, "visits": [
        visit(enterprise_name=f"Công ty TNHH Xây dựng {name}", address=f"Thôn {i}, Xã Kim Bảng", content_code="XD",
              month=6) for i, name in enumerate(NAMES, start=1)]}
    assert client.post(f"{API}/plans", json=plan, headers=bearer(sxd)).status_code == 201
    limits = f"{API}/plans/SXD/{YEAR}/limits"
    assert client.put(limits, json={"capacity_per_month": 2}, headers=bearer(syt)).status_code == 403
    r = client.put(limits, json={"capacity_per_month": 0, "blackout_months": [13]}, headers=bearer(sxd))
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} == {"capacity_per_month",
                                                                                  "blackout_months"}
    r = client.put(limits, json={"capacity_per_month": 2, "blackout_months": [7, 8, 7]}, headers=bearer(sxd))
    assert r.status_code == 200 and r.json()["blackout_months"] == [7, 8]
    # resubmitting the plan without limits keeps them
    assert client.post(f"{API}/plans", json=plan, headers=bearer(sxd)).status_code == 201
    proposal = client.post(f"{API}/optimise?year={YEAR}", headers=bearer(ttt)).json()
    w = proposal["workload"]
    assert w["before"]["SXD"]["6"] == 12 and w["capacity"]["SXD"] == 2 and w["blackout"]["SXD"] == [7, 8]
    assert max(w["after"]["SXD"].values()) == 2 and w["after"]["SXD"]["7"] == w["after"]["SXD"]["8"] == 0
    assert proposal["conflicts_after"] == 0 and len(proposal["changes"]) == 10
    assert client.post(f"{API}/proposals/{proposal['id']}/accept", headers=bearer(ttt)).status_code == 200
    with db.session() as s:
        months = sorted(s.scalars(select(Visit.final_month).where(Visit.agency_code == "SXD")))
        actions = set(s.scalars(select(AuditEntry.action).where(AuditEntry.action == "inspections.plan.limits")))
    assert max(months.count(m) for m in months) == 2, (months, proposal["changes"])
    assert not {7, 8} & set(months) and actions == {"inspections.plan.limits"}
