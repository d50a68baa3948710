import re

from conftest import csrf_from, login


def test_login_with_right_password_opens_a_session(client, factory):
    _, username, _ = factory.user("leader")
    response, _ = login(client, username)
    assert response.status_code == 303
    assert client.get("/api/v1/me").json()["role"] == "leader"


def test_wrong_password_is_refused_with_a_clear_message(client, factory):
    _, username, _ = factory.user("leader")
    response, _ = login(client, username, "sai-mat-khau-roi")
    assert response.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in response.text
    assert client.get("/api/v1/me").status_code == 401


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, factory):
    _, username, _ = factory.user("analyst")
    for _ in range(5):
        login(client, username, "sai-mat-khau-roi")
    response, _ = login(client, username)
    assert response.status_code == 429
    assert "tạm khóa" in response.text


def test_form_post_without_csrf_token_is_refused(client, factory):
    _, username, _ = factory.user("admin")
    login(client, username)
    response = client.post("/admin/users", data={"username": "moi", "role": "leader"})
    assert response.status_code == 403
    assert "CSRF" in response.text
    # ... and nothing was created.
    assert all(u["username"] != "moi" for u in client.get("/api/v1/users").json())


def test_login_form_itself_needs_csrf(client, factory):
    _, username, _ = factory.user("admin")
    client.get("/login")
    response = client.post("/login", data={"username": username, "password": "mat-khau-thu-nghiem"})
    assert response.status_code == 403


def test_json_api_with_session_needs_csrf_header(client, factory):
    _, username, _ = factory.user("admin")
    _, token = login(client, username)
    body = {"username": "lanhdao2", "role": "leader"}
    assert client.post("/api/v1/users", json=body).status_code == 403
    created = client.post("/api/v1/users", json=body, headers={"X-CSRF-Token": token})
    assert created.status_code == 201
    assert len(created.json()["password"]) >= 12


def test_login_does_not_redirect_off_site(client, factory):
    _, username, _ = factory.user("leader")
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = client.post("/login", data={"username": username, "password": "mat-khau-thu-nghiem",
                                           "csrf_token": token, "next": "https://evil.example/"},
                           follow_redirects=False)
    assert response.headers["location"] == "/"


def test_logout_ends_the_session(client, factory):
    _, username, _ = factory.user("leader")
    login(client, username)
    token = csrf_from(client)
    client.post("/logout", data={"csrf_token": token})
    assert client.get("/api/v1/me").status_code == 401


def test_deactivated_user_loses_the_session(client, factory, db):
    from dieuhanh.core.security import SYSTEM
    from dieuhanh.orgs import service

    user_id, username, _ = factory.user("leader")
    login(client, username)
    with db.session() as session:
        service.set_user_active(session, principal=SYSTEM, user_id=user_id, active=False)
    assert client.get("/api/v1/me").status_code == 401


def test_pages_behind_login_redirect_the_anonymous_to_login(client):
    response = client.get("/admin/users", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
