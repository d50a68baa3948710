"""Push API: POST /api/v1/publicservices/procedures and /dossiers — tokens, agencies, errors, audit, PII."""

from __future__ import annotations

import pytest
from ps_sync_helpers import counts, dossier, procedure
from sqlalchemy import select

from conftest import login
from dieuhanh.core.audit import AuditEntry

PROCEDURES = "/api/v1/publicservices/procedures"
DOSSIERS = "/api/v1/publicservices/dossiers"


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def motcua(factory) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The province's one-stop-shop system: publicservices scope, no agency."""
    return bearer(factory.token(["publicservices"], name="motcua")[1])


@pytest.fixture
def with_procedures(client, motcua) -> None:  # type: ignore[no-untyped-def]
    response = client.post(PROCEDURES, json=[procedure("1.000001", agency="SXD"), procedure("1.000002", agency="SYT")],
                           headers=motcua)
    assert response.status_code == 200, response.text


def test_token_without_agency_pushes_for_every_agency(client, db, warehouse, motcua) -> None:
    response = client.post(PROCEDURES, json=[procedure("1.000001", agency="SXD"),
                                             procedure("1.000002", agency="SYT")], headers=motcua)
    assert response.status_code == 200, response.text
    assert response.json()["inserted"] == 2
    response = client.post(DOSSIERS, json=[dossier("HS-1", "1.000001", "SXD"), dossier("HS-2", "1.000002", "SYT")],
                           headers=motcua)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["received"], body["inserted"], body["updated"], body["skipped_older"]) == (2, 2, 0, 0)
    assert body["batch_id"]
    again = client.post(DOSSIERS, json=[dossier("HS-1", "1.000001", "SXD", updated="20250101000000")],
                        headers=motcua).json()
    assert (again["inserted"], again["updated"], again["skipped_older"], again["batch_id"]) == (0, 0, 1, None)
    assert counts(db, warehouse)["tthc_ho_so"] == 2


@pytest.mark.usefixtures("with_procedures")
def test_agency_token_pushes_only_its_agency(client, db, warehouse, factory) -> None:  # type: ignore[no-untyped-def]
    sxd = bearer(factory.token(["publicservices"], agency="SXD", name="motcua-sxd")[1])
    ok = client.post(DOSSIERS, json=[dossier("HS-1", "1.000001", "SXD")], headers=sxd)
    assert ok.status_code == 200, ok.text
    before = counts(db, warehouse)
    refused = client.post(DOSSIERS, json=[dossier("HS-2", "1.000001", "SXD"), dossier("HS-3", "1.000002", "SYT")],
                          headers=sxd)
    assert refused.status_code == 403
    assert [(e["index"], e["field"]) for e in refused.json()["errors"]] == [(1, "MaCoQuan")]
    assert counts(db, warehouse) == before
    procedures = client.post(PROCEDURES, json=[procedure("1.000009", agency="SYT")], headers=sxd)
    assert procedures.status_code == 403


@pytest.mark.usefixtures("with_procedures")
def test_an_agency_token_cannot_take_over_another_agencys_dossier(client, db, warehouse, factory, motcua) -> None:  # type: ignore[no-untyped-def]
    """Issue 16 item 4: SYT's token sends SXD's dossier number with its own MaCoQuan and a newer
    NgayCapNhat; it is refused (403, the record's MaHoSo named) and the stored dossier is untouched."""
    assert client.post(DOSSIERS, json=[dossier("HS-9", "1.000001", "SXD")], headers=motcua).status_code == 200
    before = counts(db, warehouse)
    syt = bearer(factory.token(["publicservices"], agency="SYT", name="motcua-syt")[1])
    takeover = client.post(DOSSIERS, headers=syt, json=[
        dossier("HS-10", "1.000002", "SYT"),
        dossier("HS-9", "1.000002", "SYT", updated="20250620090000")])
    assert takeover.status_code == 403, takeover.text
    assert [(e["index"], e["field"]) for e in takeover.json()["errors"]] == [(1, "MaHoSo")]
    assert "thuộc cơ quan «SXD»" in takeover.json()["errors"][0]["message"]
    assert counts(db, warehouse) == before  # nothing stored, HS-10 included
    from dieuhanh.publicservices.models import Dossier

    with db.session() as s:
        stored = s.scalar(select(Dossier).where(Dossier.ma_ho_so == "HS-9"))
        assert stored.ma_co_quan == "SXD"
    # the one-stop-shop system (no agency) may still move a dossier between agencies
    moved = client.post(DOSSIERS, headers=motcua, json=[dossier("HS-9", "1.000002", "SYT", updated="20250620090000")])
    assert moved.status_code == 200 and moved.json()["updated"] == 1


@pytest.mark.usefixtures("with_procedures")
def test_tokens_without_the_scope_and_anonymous_callers_are_refused(client, db, warehouse, factory) -> None:  # type: ignore[no-untyped-def]
    before = counts(db, warehouse)
    datasets_token = bearer(factory.token(["datasets"], agency="SXD")[1])
    read_token = bearer(factory.token(["read"])[1])
    assert client.post(DOSSIERS, json=[dossier()], headers=datasets_token).status_code == 403
    assert client.post(DOSSIERS, json=[dossier()], headers=read_token).status_code == 403
    assert client.post(DOSSIERS, json=[dossier()]).status_code in (401, 403)  # no token, no session: no CSRF either
    assert client.post(DOSSIERS, json=[dossier()], headers=bearer("dh_khong-hop-le")).status_code == 401
    assert counts(db, warehouse) == before


@pytest.mark.usefixtures("with_procedures")
def test_admin_session_may_push_other_roles_may_not(client, factory) -> None:  # type: ignore[no-untyped-def]
    _, leader, _ = factory.user("leader")
    _, csrf = login(client, leader)
    denied = client.post(DOSSIERS, json=[dossier()], headers={"X-CSRF-Token": csrf})
    assert denied.status_code == 403
    client.post("/logout", headers={"X-CSRF-Token": csrf})
    _, admin, _ = factory.user("admin")
    _, csrf = login(client, admin)
    assert client.post(DOSSIERS, json=[dossier()]).status_code == 403  # a session without the CSRF token
    ok = client.post(DOSSIERS, json=[dossier()], headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200, ok.text


@pytest.mark.usefixtures("with_procedures")
def test_invalid_records_answer_422_with_index_field_message_and_store_nothing(client, db, warehouse,
                                                                               motcua) -> None:
    before = counts(db, warehouse)
    response = client.post(DOSSIERS, json=[dossier("HS-1"), dossier("HS-2", NgayTiepNhan="31/02/2025"),
                                           dossier("HS-3", MaCoQuan="KHONGCO"), dossier("HS-4")], headers=motcua)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["index"], e["field"]) for e in errors] == [(1, "NgayTiepNhan"), (2, "MaCoQuan")]
    assert all(set(e) >= {"index", "field", "message"} and e["message"] for e in errors)
    assert counts(db, warehouse) == before
    not_a_list = client.post(DOSSIERS, json={"MaHoSo": "HS-1"}, headers=motcua)
    assert not_a_list.status_code == 422
    not_objects = client.post(DOSSIERS, json=["HS-1"], headers=motcua)
    assert not_objects.status_code == 422 and not_objects.json()["errors"][0]["index"] == 0


@pytest.mark.usefixtures("with_procedures")
def test_more_than_5000_records_is_413(client, db, warehouse, motcua) -> None:
    before = counts(db, warehouse)
    response = client.post(DOSSIERS, json=[dossier(f"HS-{i}") for i in range(5001)], headers=motcua)
    assert response.status_code == 413
    assert "5.000" in response.json()["detail"]
    assert counts(db, warehouse) == before


@pytest.mark.usefixtures("with_procedures")
def test_one_audit_row_per_push(client, db, motcua) -> None:
    response = client.post(DOSSIERS, json=[dossier(f"HS-{i}") for i in range(30)], headers=motcua)
    assert response.status_code == 200
    with db.session() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.action == "publicservices.push_dossiers")).all()
        assert len(rows) == 1
        assert rows[0].actor.startswith("token:") and rows[0].after["inserted"] == 30
        assert rows[0].after["batch_id"] == response.json()["batch_id"]


@pytest.mark.usefixtures("with_procedures")
def test_personal_fields_only_for_officials_of_the_dossiers_agency(client, factory, motcua) -> None:  # type: ignore[no-untyped-def]
    client.post(DOSSIERS, json=[dossier("HS-1", "1.000001", "SXD", HoTenNguoiNop="Trần Văn Cường",
                                        SoCCCD="036090009999")], headers=motcua)
    _, officer, _ = factory.user("officer", agency="SXD")
    login(client, officer)
    mine = client.get(f"{DOSSIERS}/HS-1")
    assert mine.status_code == 200 and mine.json()["personal"]["SoCCCD"] == "036090009999"
    client.cookies.clear()
    _, leader, _ = factory.user("leader")
    login(client, leader)
    seen = client.get(f"{DOSSIERS}/HS-1")
    assert seen.status_code == 200 and "personal" not in seen.json()
    assert "036090009999" not in seen.text and "Cường" not in seen.text
    client.cookies.clear()
    _, other, _ = factory.user("officer", agency="SYT")
    login(client, other)
    assert client.get(f"{DOSSIERS}/HS-1").status_code == 403
    client.cookies.clear()
    assert client.get(f"{DOSSIERS}/HS-1").status_code == 401


@pytest.mark.usefixtures("with_procedures")
def test_dossier_datasets_never_reach_open_data(client, motcua) -> None:
    client.post(DOSSIERS, json=[dossier("HS-1", HoTenNguoiNop="Lê Thị Dung", SoDienThoai="0987654321")],
                headers=motcua)
    for url in ("/api/3/action/package_list", "/opendata", "/catalog.jsonld", "/opendata/datasets/tthc_ho_so"):
        response = client.get(url)
        assert "tthc_ho_so" not in response.text or response.status_code == 404, url
        assert "0987654321" not in response.text and "Lê Thị Dung" not in response.text
