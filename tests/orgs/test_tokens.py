from datetime import timedelta

from dieuhanh.core.db import utcnow
from dieuhanh.orgs.models import ApiToken


def test_token_authenticates_and_records_last_use(client, factory, db):
    token_id, secret = factory.token(["read"], name="man-hinh")
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert response.json() == {"kind": "token", "name": "man-hinh", "role": None, "agency_code": None,
                               "scopes": ["read"]}
    with db.session() as session:
        token = session.get(ApiToken, token_id)
        assert token.last_used_at is not None
        assert token.token_hash != secret and secret not in token.token_hash


def test_revoked_token_gets_401(client, factory, db):
    from dieuhanh.core.security import SYSTEM
    from dieuhanh.orgs import service

    token_id, secret = factory.token(["read"])
    with db.session() as session:
        service.revoke_token(session, principal=SYSTEM, token_id=token_id)
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Mã truy cập (token) đã bị thu hồi."}


def test_expired_token_gets_401(client, factory, db):
    token_id, secret = factory.token(["read"])
    with db.session() as session:
        session.get(ApiToken, token_id).expires_at = utcnow() - timedelta(minutes=1)
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401
    assert "hết hạn" in response.json()["detail"]


def test_unknown_or_malformed_token_gets_401(client):
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer dh_khong-ton-tai"}).status_code == 401
    response = client.get("/api/v1/me", headers={"Authorization": "Basic YWJjOmRlZg=="})
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]


def test_agency_token_can_update_only_its_agency(client, factory):
    _, secret = factory.token(["datasets"], agency="SYT")
    headers = {"Authorization": f"Bearer {secret}"}
    # Tokens act as systems, not officers: updating agency profiles is a person's job.
    assert client.patch("/api/v1/agencies/SYT", json={"phone": "0226 3852 000"}, headers=headers).status_code == 403


def test_datasets_scope_needs_an_agency(client, factory):
    import pytest

    from dieuhanh.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        factory.token(["datasets"])
