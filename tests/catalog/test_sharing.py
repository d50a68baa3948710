"""Access classes, PII columns and inter-agency grants (LGSP sharing)."""

from __future__ import annotations

from catalog_helpers import csv_upload, dataset_body

from conftest import login

BENEFICIARIES = [
    {"name": "ma_xa", "type": "unit_code", "required": True},
    {"name": "ho_ten", "type": "string", "pii": True},
    {"name": "so_cccd", "type": "string", "pii": True},
    {"name": "muc_tro_cap", "type": "number", "required": True},
]
CSV = ("ma_xa,ho_ten,so_cccd,muc_tro_cap\n"
       "13285,Nguyễn Văn An,035090001234,\"540.000\"\n"
       "13291,Trần Thị Bình,035185004321,\"720.000\"\n")


def _setup(client, factory):
    _, secret = factory.token(["datasets"], agency="SNV", name="he-thong-noi-vu")
    owner = {"Authorization": f"Bearer {secret}"}
    body = dataset_body(name="doi_tuong_bao_tro", owner="SNV", access="restricted", schema=BENEFICIARIES)
    assert client.post("/api/v1/datasets", json=body, headers=owner).status_code == 201
    assert csv_upload(client, "doi_tuong_bao_tro", CSV, owner).status_code == 201
    return owner


def test_pii_columns_are_only_for_the_owner_agency(client, factory):
    owner = _setup(client, factory)
    own = client.get("/api/v1/datasets/doi_tuong_bao_tro/rows", headers=owner).json()
    assert "so_cccd" in own["columns"] and own["rows"][0]["so_cccd"] in ("035090001234", "035185004321")
    # A leader reads the restricted dataset but never its personal columns.
    _, leader, _ = factory.user("leader")
    login(client, leader)
    seen = client.get("/api/v1/datasets/doi_tuong_bao_tro/rows").json()
    assert seen["total"] == 2
    assert "so_cccd" not in seen["columns"] and "ho_ten" not in seen["columns"]
    assert all("so_cccd" not in r and "ho_ten" not in r for r in seen["rows"])
    assert "035090001234" not in client.get("/datasets/doi_tuong_bao_tro").text


def test_restricted_dataset_needs_a_grant_which_the_owner_approves(client, factory):
    _setup(client, factory)
    _, requester, _ = factory.user("officer", agency="SYT")
    _, csrf = login(client, requester)
    assert client.get("/api/v1/datasets/doi_tuong_bao_tro/rows").status_code == 403
    created = client.post("/api/v1/datasets/doi_tuong_bao_tro/access-requests", headers={"X-CSRF-Token": csrf},
                          json={"reason": "Đối chiếu người được hỗ trợ bảo hiểm y tế", "include_pii": False})
    assert created.status_code == 201
    request_id = created.json()["id"]
    # The requester cannot approve its own request.
    assert client.post(f"/api/v1/access-requests/{request_id}/approve", json={"days": 30},
                       headers={"X-CSRF-Token": csrf}).status_code == 403
    client.cookies.clear()
    _, approver, _ = factory.user("officer", agency="SNV")
    _, csrf2 = login(client, approver)
    approved = client.post(f"/api/v1/access-requests/{request_id}/approve", json={"days": 30},
                           headers={"X-CSRF-Token": csrf2})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    client.cookies.clear()
    login(client, requester)
    rows = client.get("/api/v1/datasets/doi_tuong_bao_tro/rows").json()
    assert rows["total"] == 2 and "so_cccd" not in rows["columns"]  # grant without PII


def test_expired_grant_no_longer_opens_the_data(client, factory, db):
    from dieuhanh.catalog.models import Grant
    from dieuhanh.core.db import utcnow

    _setup(client, factory)
    with db.session() as session:
        from dieuhanh.catalog.service import get_dataset

        ds = get_dataset(session, "doi_tuong_bao_tro")
        session.add(Grant(dataset_id=ds.id, agency_code="SYT", granted_by="test", include_pii=True,
                          expires_at=utcnow().replace(year=2020)))
    _, requester, _ = factory.user("officer", agency="SYT")
    login(client, requester)
    assert client.get("/api/v1/datasets/doi_tuong_bao_tro/rows").status_code == 403


def test_freshness_board_of_an_agency_token_lists_exactly_the_datasets_it_may_read(client, factory, db,
                                                                                     agency_token, population):
    from dieuhanh.catalog import service
    from dieuhanh.catalog.models import Dataset, Grant
    from dieuhanh.core.db import utcnow
    from dieuhanh.core.security import Principal

    _, secret = factory.token(["datasets"], agency="SNV", name="he-thong-noi-vu")
    snv = {"Authorization": f"Bearer {secret}"}
    for name, access in (("ho_so_noi_bo", "internal"), ("bao_tro_khong_cap", "restricted"),
                         ("bao_tro_duoc_cap", "restricted"), ("bao_tro_het_han", "restricted"),
                         ("cong_khai_da_dang", "public"), ("cong_khai_chua_dang", "public")):
        body = dataset_body(name=name, owner="SNV", access=access, schema=BENEFICIARIES[:1])
        assert client.post("/api/v1/datasets", json=body, headers=snv).status_code == 201
    with db.session() as session:
        ids = {d.name: d for d in session.query(Dataset)}
        ids["cong_khai_da_dang"].published = True
        session.add(Grant(dataset_id=ids["bao_tro_duoc_cap"].id, agency_code="TKT", granted_by="test"))
        session.add(Grant(dataset_id=ids["bao_tro_het_han"].id, agency_code="TKT", granted_by="test",
                          expires_at=utcnow().replace(year=2020)))
        session.add(Grant(dataset_id=ids["ho_so_noi_bo"].id, agency_code="TKT", granted_by="test"))  # no effect
    board = client.get("/api/v1/datasets/freshness", headers=agency_token).json()
    names = {d["name"] for d in board["datasets"]}
    assert names == {"dan_so_xa", "bao_tro_duoc_cap", "cong_khai_da_dang"}
    assert {a["agency"]: a["datasets"] for a in board["agencies"]} == {"TKT": 1, "SNV": 2}
    token = Principal(kind="token", id=1, name="he-thong-thong-ke", agency_code="TKT", scopes=frozenset({"datasets"}))
    with db.session() as session:  # the same set as the per-dataset rule of reading rows
        assert names == {d.name for d in session.query(Dataset) if service.can_read(session, token, d)}
    assert len(client.get("/api/v1/datasets/freshness", headers=snv).json()["datasets"]) == 6
    _, analyst, _ = factory.user("analyst")
    login(client, analyst)  # officials' sessions keep the whole board
    assert len(client.get("/api/v1/datasets/freshness").json()["datasets"]) == 7


def test_publishing_refuses_pii_and_unreviewed_suspicious_columns(client, factory, agency_token):
    schema = [{"name": "ma_xa", "type": "unit_code", "required": True},
              {"name": "lien_he", "type": "string"}]
    body = dataset_body(name="diem_tiep_nhan", access="public", schema=schema)
    assert client.post("/api/v1/datasets", json=body, headers=agency_token).status_code == 201
    content = "ma_xa,lien_he\n13285,0912345678\n13291,0987654321\n13318,0358123456\n"
    assert csv_upload(client, "diem_tiep_nhan", content, agency_token).status_code == 201
    detail = client.get("/api/v1/datasets/diem_tiep_nhan", headers=agency_token).json()
    assert next(c for c in detail["schema"] if c["name"] == "lien_he")["pii_suggestion"] == "phone"
    _, analyst, _ = factory.user("analyst")
    _, csrf = login(client, analyst)
    refused = client.post("/api/v1/datasets/diem_tiep_nhan/publish", headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 422 and "lien_he" in refused.json()["detail"]
    # The analyst confirms it is personal data: still not publishable.
    client.post("/api/v1/datasets/diem_tiep_nhan/columns/lien_he/pii", json={"is_pii": True},
                headers={"X-CSRF-Token": csrf})
    refused = client.post("/api/v1/datasets/diem_tiep_nhan/publish", headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 422 and "dữ liệu cá nhân" in refused.json()["detail"]


def test_anonymous_sees_only_published_public_datasets(client, agency_token, factory):
    public = dataset_body(name="truong_hoc", access="public",
                          schema=[{"name": "ma_xa", "type": "unit_code"}, {"name": "so_truong", "type": "integer"}])
    assert client.post("/api/v1/datasets", json=public, headers=agency_token).status_code == 201
    assert csv_upload(client, "truong_hoc", "ma_xa,so_truong\n13285,12\n", agency_token).status_code == 201
    assert client.get("/api/v1/datasets/truong_hoc/rows").status_code == 404
    assert client.get("/api/v1/datasets").json()["total"] == 0
    _, analyst, _ = factory.user("analyst")
    _, csrf = login(client, analyst)
    assert client.post("/api/v1/datasets/truong_hoc/publish", headers={"X-CSRF-Token": csrf}).status_code == 200
    client.cookies.clear()
    assert client.get("/api/v1/datasets/truong_hoc/rows").json()["total"] == 1
    assert [d["name"] for d in client.get("/api/v1/datasets").json()["items"]] == ["truong_hoc"]


def test_update_request_is_tracked_until_a_new_batch_arrives(client, factory, agency_token, population):
    _, analyst, _ = factory.user("analyst")
    _, csrf = login(client, analyst)
    assert client.post("/api/v1/datasets/dan_so_xa/update-requests", json={"message": "Cần số liệu 2025"},
                       headers={"X-CSRF-Token": csrf}).status_code == 201
    board = client.get("/api/v1/datasets/freshness").json()
    entry = next(d for d in board["datasets"] if d["name"] == "dan_so_xa")
    assert entry["open_update_requests"] == 1 and entry["late"] is True
    assert csv_upload(client, "dan_so_xa", "ma_xa,nam,dan_so\n13285,2025,1\n", agency_token).status_code == 201
    board = client.get("/api/v1/datasets/freshness").json()
    entry = next(d for d in board["datasets"] if d["name"] == "dan_so_xa")
    assert entry["open_update_requests"] == 0 and entry["late"] is False
    tkt = next(a for a in board["agencies"] if a["agency"] == "TKT")
    assert tkt["on_time_share"] == 100.0


def test_board_judges_periodic_data_by_the_period_it_covers_not_the_load_time(client, factory, agency_token,
                                                                              population):
    from datetime import datetime

    from dieuhanh.core.formatting import LOCAL_TZ
    from dieuhanh.indicators import rules

    # Loaded a moment ago, but it covers 2023: a yearly dataset is due for the newest year published by today.
    assert csv_upload(client, "dan_so_xa", "ma_xa,nam,dan_so\n13285,2023,1\n", agency_token).status_code == 201
    _, analyst, _ = factory.user("analyst")
    login(client, analyst)
    board = client.get("/api/v1/datasets/freshness").json()
    entry = next(d for d in board["datasets"] if d["name"] == "dan_so_xa")
    expected = rules.expected_period("year", None, datetime.now(LOCAL_TZ).date())
    assert (entry["covered_period"], entry["expected_period"], entry["basis"]) == ("2023", expected, "kỳ dữ liệu")
    assert entry["late"] is True and entry["days_since"] == 0
    assert next(a for a in board["agencies"] if a["agency"] == "TKT")["on_time_share"] == 0.0
    page = client.get("/data-quality").text
    tkt = next(a for a in board["agencies"] if a["agency"] == "TKT")["name"]
    assert tkt and page.count(tkt) >= 2 and ">TKT<" not in page  # the owner by name, on the board and the row
    assert "Năm 2023 / Năm " in page
