"""The signed plan as an open dataset of the portal (nothing before signing, no personal data, reloaded when a
signed plan changes), and the board's figures as indicators of the operating set (both stores)."""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import select

from dieuhanh.core.audit import AuditEntry
from dieuhanh.core.security import SYSTEM
from dieuhanh.indicators import service as indicators
from dieuhanh.inspections import service
from dieuhanh.inspections.models import Visit
from dieuhanh.inspections.opendata import FIGURES, PLAN

API = "/api/v1/inspections"
YEAR = 2027
PROVINCE = "37"


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def visit(**kw):  # noqa: ANN003, ANN201
    return {"kind": "kiem_tra", "content_code": "ATTP", "month": 5, "address": "", **kw}


def anonymous_csv(client, name: str):  # noqa: ANN001, ANN201
    r = client.get(f"/opendata/datasets/{name}/download.csv", headers={"Cookie": ""})
    return r.status_code, (list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
                           if r.status_code == 200 else [])


def test_the_signed_plan_is_open_data_without_personal_data_and_the_figures_are_indicators(client, factory, db,
                                                                                             warehouse):
    with db.session() as s:
        service.load_register(s, principal=SYSTEM, rows=[
            {"tax_code": "0100233488", "name": "Công ty TNHH Thực phẩm Minh Phát", "legal_rep": "Nguyễn Văn Hùng",
             "address": "Số 12, đường Lê Lợi, Phường Phủ Lý, Ninh Bình"}])
    _, syt = factory.token(["inspections"], agency="SYT")
    _, cat = factory.token(["inspections"], agency="CAT")
    _, ttt = factory.token(["inspections"], agency="TTT")
    household = "Hộ kinh doanh Trần Thị Bích Ngọc"
    assert client.post(f"{API}/plans", headers=bearer(syt), json={"agency_code": "SYT", "year": YEAR, "visits": [
        visit(enterprise_name="Công ty TNHH Thực phẩm Minh Phát", tax_code="0100233488", month=3, remote=True),
        visit(enterprise_name=household, address="Số 7, phố Biên Hòa, Phường Phủ Lý", legal_rep="Trần Thị Bích Ngọc",
              month=4)]}).status_code == 201
    assert client.post(f"{API}/plans", headers=bearer(cat), json={"agency_code": "CAT", "year": YEAR, "visits": [
        visit(enterprise_name="Công ty TNHH Thực phẩm Minh Phát", tax_code="0100233488", content_code="PCCC",
              month=3)]}).status_code == 201
    # the figures dataset is internal: anonymous gets nothing; the plan dataset does not exist before signing
    assert anonymous_csv(client, FIGURES)[0] == 404
    assert anonymous_csv(client, PLAN)[0] == 404
    with db.session() as s:
        indicators.load_library(s)
        indicators.compute(s, warehouse, province_code=PROVINCE, codes=["tt_xung_dot_phat_hien",
                                                                          "tt_xung_dot_da_xu_ly"])
        found = {(v.unit_code, v.value) for v in indicators.list_values(s, code="tt_xung_dot_phat_hien")}
    # one enterprise checked twice by SYT and CAT in March: once_kiem_tra and mergeable, involving both agencies
    assert found == {(PROVINCE, 2.0), ("SYT", 2.0), ("CAT", 2.0)}
    proposal = client.post(f"{API}/optimise?year={YEAR}", headers=bearer(ttt)).json()
    assert client.post(f"{API}/proposals/{proposal['id']}/accept", headers=bearer(ttt)).status_code == 200
    assert anonymous_csv(client, PLAN)[0] == 404  # accepted but not signed: still nothing public
    _, _, _ = factory.user("leader", username="chu-tich-od")
    from conftest import csrf_from, login

    login(client, "chu-tich-od")
    r = client.post(f"{API}/sign?year={YEAR}", headers={"X-CSRF-Token": csrf_from(client)})
    assert r.status_code == 200, r.text
    status, rows = anonymous_csv(client, PLAN)
    assert status == 200 and len(rows) == 2  # the two checks became one inter-sector check; the household's visit
    assert set(rows[0]) == {"nam", "thang", "ma_doanh_nghiep", "ma_so_thue", "ten_doanh_nghiep", "hinh_thuc",
                            "ten_hinh_thuc", "ma_noi_dung", "noi_dung", "ma_co_quan", "co_quan",
                            "co_quan_phoi_hop", "truc_tuyen"}
    text = repr(rows)
    assert "Trần Thị Bích Ngọc" not in text and "Nguyễn Văn Hùng" not in text and "Biên Hòa" not in text
    joint = next(r for r in rows if r["ma_so_thue"] == "0100233488")
    assert joint["hinh_thuc"] == "kiem_tra_lien_nganh" and joint["thang"] == "3"
    assert {joint["ma_co_quan"], joint["co_quan_phoi_hop"]} == {"SYT", "CAT"}
    home = next(r for r in rows if r["ma_so_thue"] != "0100233488")
    assert home["ten_doanh_nghiep"].startswith("Hộ kinh doanh (không") and home["ma_so_thue"] == ""
    # a change after publication: the open dataset follows and the audit keeps who, why, before and after
    with db.session() as s:
        moved = s.scalar(select(Visit.id).where(Visit.enterprise_name == household))
    r = client.post(f"{API}/visits/{moved}/move", headers=bearer(ttt),
                    json={"month": 10, "reason": "Hộ kinh doanh đề nghị lùi lịch"})
    assert r.status_code == 200, r.text
    rows = anonymous_csv(client, PLAN)[1]
    assert sorted(r["thang"] for r in rows) == ["10", "3"]
    with db.session() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "inspections.visit.move_after_publication"))
        assert entry is not None and entry.entity_id == str(moved)
        indicators.compute(s, warehouse, province_code=PROVINCE, codes=[
            "tt_xung_dot_da_xu_ly", "tt_ty_le_truc_tuyen", "tt_cuoc_moi_doanh_nghiep", "tt_doanh_nghiep_tren_mot_lan"])

        def values(code: str) -> dict[str, float | None]:
            return {v.unit_code: v.value for v in indicators.list_values(s, code=code, period=str(YEAR))}

        assert values("tt_xung_dot_da_xu_ly") == {PROVINCE: 2.0, "SYT": 2.0, "CAT": 2.0}
        assert values("tt_ty_le_truc_tuyen")[PROVINCE] == 50.0  # 1 of the 2 visits left is remote
        assert values("tt_cuoc_moi_doanh_nghiep") == {PROVINCE: 1.0}
        assert values("tt_doanh_nghiep_tren_mot_lan") == {PROVINCE: 0.0}
    # the proposal page shows each agency's months before → after, the board the conflicts found and resolved
    proposal_page = client.get(f"/thanh-tra/de-xuat?nam={YEAR}").text
    assert 'data-testid="workload"' in proposal_page and "(mặc định)" in proposal_page
    board = client.get(f"/thanh-tra?nam={YEAR}").text
    assert re.search(r'data-testid="tile-resolved".*?>2 / 2<', board, re.S)
    # the indicators page shows them to an official
    page = client.get("/indicators/tt_xung_dot_da_xu_ly")
    assert page.status_code == 200 and "Số xung đột kế hoạch thanh tra, kiểm tra đã được xử lý" in page.text
