from conftest import login
from dieuhanh.core import audit
from dieuhanh.core.security import SYSTEM


def test_agencies_are_created_from_the_unit_list(client):
    agencies = client.get("/api/v1/agencies").json()
    communes = [a for a in agencies if a["kind"] == "commune"]
    assert len(communes) == 129
    phu_ly = next(a for a in communes if a["commune"] == "13285")
    assert phu_ly == {"code": "UBND13285", "name": "UBND phường Phủ Lý", "kind": "commune", "commune": "13285"}
    assert any(a["code"] == "SYT" and a["name"] == "Sở Y tế" for a in agencies)


def test_officer_updates_own_agency_and_the_change_is_audited(client, factory):
    _, username, _ = factory.user("officer", agency="SYT")
    _, token = login(client, username)
    response = client.patch("/api/v1/agencies/SYT", json={"phone": "0226 3852 000"},
                            headers={"X-CSRF-Token": token})
    assert response.status_code == 200
    _, admin_name, _ = factory.user("admin")
    client.cookies.clear()
    login(client, admin_name)
    entries = client.get("/api/v1/audit", params={"entity_type": "agency", "entity_id": "SYT"}).json()
    assert entries["total"] == 1
    entry = entries["items"][0]
    assert entry["actor"] == f"user:{username}"
    assert entry["action"] == "agency.update"
    assert entry["before"]["phone"] is None and entry["after"]["phone"] == "0226 3852 000"


def test_officer_of_one_agency_gets_403_for_another(client, factory):
    _, username, _ = factory.user("officer", agency="SYT")
    _, token = login(client, username)
    response = client.patch("/api/v1/agencies/SGDDT", json={"phone": "0226 1111 111"},
                            headers={"X-CSRF-Token": token})
    assert response.status_code == 403
    assert response.json()["detail"] == "Bạn không có quyền thực hiện thao tác này."


def test_audit_is_admin_only(client, factory):
    _, username, _ = factory.user("leader")
    login(client, username)
    assert client.get("/api/v1/audit").status_code == 403
    client.cookies.clear()
    assert client.get("/api/v1/audit").status_code == 401


def test_audit_api_paginates_and_filters(client, factory, db):
    with db.session() as session:
        for i in range(7):
            audit.record(session, actor="user:x", action="test.action", entity_type="thing", entity_id=i)
    _, admin, _ = factory.user("admin")
    login(client, admin)
    page1 = client.get("/api/v1/audit", params={"action": "test.action", "page_size": 5}).json()
    page2 = client.get("/api/v1/audit", params={"action": "test.action", "page_size": 5, "page": 2}).json()
    assert page1["total"] == 7 and len(page1["items"]) == 5 and len(page2["items"]) == 2
    assert [i["entity_id"] for i in page1["items"]] == ["6", "5", "4", "3", "2"]


def test_audit_row_rolls_back_with_a_failed_change(db):
    import pytest

    from dieuhanh.core.audit import AuditEntry
    from dieuhanh.orgs import service
    from dieuhanh.orgs.schemas import UserIn

    with pytest.raises(RuntimeError), db.session() as session:
        service.create_user(session, principal=SYSTEM, user_in=UserIn(username="tam", role="leader"))
        raise RuntimeError("the request fails after the change")
    with db.session() as session:
        assert session.query(AuditEntry).filter_by(action="user.create").count() == 0


def test_invalid_agency_update_is_refused_with_the_field(client, factory):
    _, username, _ = factory.user("admin")
    _, token = login(client, username)
    response = client.patch("/api/v1/agencies/SYT", json={"email": "khong-phai-email"},
                            headers={"X-CSRF-Token": token})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "email"
