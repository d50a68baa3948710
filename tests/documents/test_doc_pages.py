"""The pages /van-ban, /van-ban/moi, /van-ban/{id} and /van-ban/thong-ke as a clerk, a leader and a department use
them (server-rendered forms, both stores), and the demo year (its documents, routing history, alert)."""

from __future__ import annotations

import re

from doc_helpers import doc_text, docx_bytes
from sqlalchemy import func, select

from conftest import login
from dieuhanh.documents.models import Document


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_clerk_registers_a_file_and_the_leader_assigns_in_one_click(client, factory, db):
    _, clerk, _ = factory.user("officer", agency="VPUBND")
    _, leader, _ = factory.user("leader")
    login(client, clerk)
    form = client.get("/van-ban/moi")
    assert form.status_code == 200
    text = doc_text(subject="tăng cường phòng, chống dịch sốt xuất huyết", body="Đề nghị báo cáo trước ngày 20/4/2026.")
    r = client.post("/van-ban/moi", data={"csrf_token": _csrf(form.text), "ngay_den": "03/04/2026"},
                    files={"file": ("cv.docx", docx_bytes(text))}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"])
    assert "Đã đăng ký văn bản đến số 1" in page.text and "Sở Y tế" in page.text
    assert "trích xuất" in page.text  # extracted fields are marked as such
    assert "Phê duyệt phân công" not in page.text  # a clerk does not give the bút phê
    doc_id = int(r.headers["location"].split("/")[2].split("?")[0])
    # a bad date on the form: the page says where, nothing is saved
    bad = client.post("/van-ban/moi",
                      data={"csrf_token": _csrf(form.text), "trich_yeu": "Thử", "ngay_den": "32/1/2026"})
    assert bad.status_code == 422 and 'data-testid="error-ArrivalDate"' in bad.text
    client.cookies.clear()
    login(client, leader)
    page = client.get(f"/van-ban/{doc_id}")
    assert 'data-testid="routing"' in page.text and "Phê duyệt phân công" in page.text
    picked = re.search(r'<select name="lead"[^>]*>.*?<option value="([A-Z0-9]+)" selected', page.text, re.S).group(1)
    assert picked == "SYT"  # the suggestion is preselected: confirming is one click
    r = client.post(f"/van-ban/{doc_id}/phan-cong", data={"csrf_token": _csrf(page.text), "lead": picked,
                                                          "due_date": "17/04/2026", "instruction": "Giao SYT."},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get(r.headers["location"])
    assert "Đã giao Sở Y tế chủ trì, hạn 17/04/2026" in page.text
    bad = client.post(f"/van-ban/{doc_id}/phan-cong", data={"csrf_token": _csrf(page.text), "lead": "SYT",
                                                            "due_date": "01/01/2020"})
    assert bad.status_code == 422 and "Hạn xử lý trước ngày đến" in bad.text
    listing = client.get("/van-ban?trang_thai=open")
    assert f'data-testid="row-{doc_id}"' in listing.text
    assert client.get("/van-ban/thong-ke").status_code == 200


def test_a_department_sees_only_its_documents(client, factory, db):
    from dieuhanh.core.security import SYSTEM
    from dieuhanh.documents import service
    from dieuhanh.documents.schemas import DocumentIn

    with db.session() as s:
        mine = service.register(s, principal=SYSTEM, data=DocumentIn(Subject="Kế hoạch tiêm chủng")).document
        other = service.register(s, principal=SYSTEM, data=DocumentIn(Subject="Dự toán ngân sách")).document
        service.assign(s, principal=SYSTEM, document=mine, lead="SYT", cooperating=[], due_date=None,
                       instruction=None)
        service.assign(s, principal=SYSTEM, document=other, lead="STC", cooperating=[], due_date=None,
                       instruction=None)
        mine_id, other_id = mine.id, other.id
    _, officer, _ = factory.user("officer", agency="SYT")
    login(client, officer)
    listing = client.get("/van-ban")
    assert f'data-testid="row-{mine_id}"' in listing.text and f'data-testid="row-{other_id}"' not in listing.text
    assert client.get(f"/van-ban/{other_id}").status_code == 403
    page = client.get(f"/van-ban/{mine_id}")
    assert 'data-testid="progress-form"' in page.text
    r = client.post(f"/van-ban/{mine_id}/tien-do", data={"csrf_token": _csrf(page.text), "progress": "150"})
    assert r.status_code == 422 and "từ 0 đến 100" in r.text


def test_demo_year_of_documents(demo_province):
    from datetime import timedelta

    from fastapi.testclient import TestClient

    from dieuhanh.app import create_app
    from dieuhanh.core.security import SYSTEM
    from dieuhanh.documents import service

    with demo_province.db.session() as s:
        total = s.scalar(select(func.count(Document.id)))
        oldest, newest = s.execute(select(func.min(Document.arrival_date), func.max(Document.arrival_date))).one()
        assert total >= 1000 and (newest - oldest) > timedelta(days=330)
        assert newest <= service.today_local()
        assert s.scalar(select(func.count(Document.id)).where(Document.source != "demo")) == 0
        assert s.scalar(select(func.count(Document.id)).where(Document.duplicate_of_id.is_not(None))) >= 1
        waiting = s.scalars(select(Document).where(Document.status == "new")).all()
        assert waiting
        overdue = service.overdue_by_agency(s)
        assert overdue  # some departments hold overdue documents: the alert has something to say
        from dieuhanh.indicators.models import IndicatorDefinition, IndicatorValue

        states = dict(s.execute(select(IndicatorDefinition.code, IndicatorDefinition.state)
                                .where(IndicatorDefinition.domain == "documents")).all())
        assert len(states) == 5 and set(states.values()) == {"ok"}
        assert s.scalar(select(func.count(IndicatorValue.id)).where(
            IndicatorValue.code == "van_ban_den_tiep_nhan", IndicatorValue.level == "agency")) > 100
    app = create_app(demo_province.settings, database=demo_province.db, warehouse=demo_province.warehouse)
    leader = next(u for u, role, _ in demo_province.credentials if role == "leader")
    password = next(p for u, _, p in demo_province.credentials if u == leader)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        login(client, leader, password)
        page = client.get("/van-ban")
        assert page.status_code == 200 and 'data-testid="leader-watch"' in page.text
        detail = client.get(f"/van-ban/{waiting[0].id}")
        assert detail.status_code == 200 and 'data-testid="suggestion-chu_tri-' in detail.text
        assert "Học từ" in detail.text  # the first routing request trained the model from the demo's history
        board = client.get("/boards/documents")
        assert board.status_code == 200 and "Tỷ lệ văn bản hoàn thành đúng hạn" in board.text
        alerts = client.get("/api/v1/alerts?state=alerting").json()
        items = alerts["items"] if isinstance(alerts, dict) else alerts
        assert any(i["indicator"]["name"] == "Văn bản quá hạn xử lý" for i in items)
    with demo_province.db.session() as s:
        assert service.current_model(s) is not None
        assert service.department_stats(s, principal=SYSTEM, month=service.today_local().strftime("%Y-%m"))
