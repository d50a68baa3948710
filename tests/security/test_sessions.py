"""Item 12: sessions end on the server at logout (a replayed cookie is refused), have an absolute lifetime,
and the CSRF token changes at sign-in."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import update

from conftest import ONE_STORE, csrf_from, login
from dieuhanh.core.db import utcnow
from dieuhanh.orgs.models import UserSession

pytestmark = ONE_STORE


def test_logout_revokes_the_session_and_a_replayed_cookie_is_refused(client, factory):
    _, username, _ = factory.user("leader")
    before = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    _, token = login(client, username)
    assert token != before  # rotated at sign-in
    cookie = client.cookies.get("dieuhanh_session")
    assert client.get("/api/v1/me").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_from(client)})
    client.cookies.set("dieuhanh_session", cookie)  # the stolen or kept cookie, sent again
    assert client.get("/api/v1/me").status_code == 401


def test_a_session_ends_after_its_absolute_lifetime_however_active(client, factory, db, app):
    _, username, _ = factory.user("leader")
    login(client, username)
    assert client.get("/api/v1/me").status_code == 200
    with db.session() as session:
        lifetime = app.state.settings.session_max_age_seconds
        session.execute(update(UserSession).values(created_at=utcnow() - timedelta(seconds=lifetime + 1)))
    assert client.get("/api/v1/me").status_code == 401
