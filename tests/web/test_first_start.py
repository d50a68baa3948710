"""The first start: the demo province loads in the background (demo/loading.py) while the server answers."""

from __future__ import annotations

from conftest import DEMO_TODAY


def test_pages_wait_for_the_demo_then_show_it(settings, db, warehouse):
    from fastapi.testclient import TestClient

    from dieuhanh.app import create_app
    from dieuhanh.demo.loading import DemoLoader

    loader = DemoLoader()
    app = create_app(settings, database=db, warehouse=warehouse, loader=loader)
    finished: list[str] = []
    loader.after(lambda: finished.append("not loading yet: at once"))
    assert finished == ["not loading yet: at once"]
    with TestClient(app, base_url="http://127.0.0.1") as client:
        # A part of the demo (users, boards, the department reports) keeps this quick; `dieuhanh up` loads all.
        loader.start(db, warehouse, settings, modules={"dashboard", "reporting"}, today=DEMO_TODAY,
                     on_success=lambda ctx: finished.append(f"{len(ctx.credentials)} users"))
        loader.after(lambda: finished.append("scheduler may start"))
        page = client.get("/login")
        assert page.status_code == 503 and "Đang nạp dữ liệu tỉnh mẫu lần đầu" in page.text
        assert '<meta http-equiv="refresh"' in page.text
        assert client.get("/static/favicon.svg").status_code == 200
        assert client.get("/healthz").json()["demo"]["state"] == "loading"
        assert loader.wait(timeout=300)
        assert finished == ["not loading yet: at once", "5 users", "scheduler may start"]
        health = client.get("/healthz").json()
        assert health["demo"]["state"] == "done" and health["demo"]["percent"] == 100
        login = client.get("/login")
        assert login.status_code == 200 and "DỮ LIỆU MẪU" in login.text


def test_a_failed_load_says_what_to_do(settings, db, warehouse):
    from fastapi.testclient import TestClient

    from dieuhanh.app import create_app
    from dieuhanh.demo.loading import DemoLoader

    loader = DemoLoader()
    app = create_app(settings, database=db, warehouse=warehouse, loader=loader)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        # An unknown day of the demo makes the load fail in its first step (a real failure, not a fake one).
        loader.start(db, warehouse, settings, modules={"reporting"}, today="không phải ngày")
        assert loader.wait(timeout=120)
        page = client.get("/")
        assert page.status_code == 503 and "không thành công" in page.text and "dieuhanh demo --reset" in page.text
        assert client.get("/healthz").json()["demo"]["state"] == "failed"
