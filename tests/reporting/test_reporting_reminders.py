"""Reminders before and after the due date, each once; the demo's report data (both stores)."""

from __future__ import annotations

import random
import sys
import time
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).parent))

from reporting_helpers import make_type, rows_of  # noqa: E402

from dieuhanh.alerts.models import Notification  # noqa: E402
from dieuhanh.core.security import SYSTEM  # noqa: E402
from dieuhanh.reporting.models import ReportReminder  # noqa: E402


def test_reminders_before_and_after_due_date_are_sent_once(db, warehouse, settings):
    from dieuhanh.orgs.models import Agency
    from dieuhanh.reporting import service
    from dieuhanh.reporting.reminders import send_reminders

    make_type(db, agencies=("SYT", "SGDDT"), from_period="2025-06")
    with db.session() as session:
        session.get(Agency, "SYT").email = "vanphong@syt.example"
    # 2025-06 is due 05/07/2025; reminders 3 days before and 1 day after (settings' defaults).
    with db.session() as session:
        assert send_reminders(session, settings=settings, today=date(2025, 6, 30)) == 0  # too early
    with db.session() as session:
        assert send_reminders(session, settings=settings, today=date(2025, 7, 2)) == 2
    with db.session() as session:
        assert send_reminders(session, settings=settings, today=date(2025, 7, 3)) == 0  # not repeated
        # SGDDT submits in time; only SYT is chased after the due date.
        result = service.submit_values(session, warehouse, principal=SYSTEM, code="kt_xh_thang",
                                       values={"giai_ngan_von": "1", "doanh_thu": "2"}, agency_code="SGDDT",
                                       period="2025-06", province_code="37", max_bytes=1 << 20,
                                       now=datetime(2025, 7, 3, 2, 0), refresh=False)
        assert result.accepted
    with db.session() as session:
        assert send_reminders(session, settings=settings, today=date(2025, 7, 5)) == 0  # due today, reminded
        assert send_reminders(session, settings=settings, today=date(2025, 7, 6)) == 1
    with db.session() as session:
        assert send_reminders(session, settings=settings, today=date(2025, 7, 9)) == 0
        reminders = sorted((r.agency_code, r.kind) for r in session.scalars(select(ReportReminder)))
        assert reminders == [("SGDDT", "before"), ("SYT", "after"), ("SYT", "before")]
        inapp = list(session.scalars(select(Notification).where(Notification.channel == "inapp")
                                     .order_by(Notification.id)))
        assert [n.agency_code for n in inapp] == ["SGDDT", "SYT", "SYT"] or \
            sorted(n.agency_code for n in inapp) == ["SGDDT", "SYT", "SYT"]
        after = [n for n in inapp if n.payload.get("reminder") == "after"][0]
        assert "Quá hạn nộp báo cáo" in after.payload["title"] and "05/07/2025" in after.payload["title"]
        # E-mail to the agency's address, recorded as skipped without an SMTP server.
        emails = list(session.scalars(select(Notification).where(Notification.channel == "email")))
        assert {(e.recipient, e.status) for e in emails} == {("vanphong@syt.example", "skipped")}


def test_reminders_shown_to_the_agency_in_app(client, db, settings, factory):
    from conftest import login
    from dieuhanh.reporting.reminders import send_reminders

    make_type(db, agencies=("SYT",), from_period="2025-06")
    with db.session() as session:
        send_reminders(session, settings=settings, today=date(2025, 7, 7))
    _, officer, _ = factory.user("officer", agency="SYT")
    login(client, officer)
    page = client.get("/alerts")
    assert page.status_code == 200
    assert "Quá hạn nộp báo cáo «Báo cáo tình hình kinh tế – xã hội tháng» tháng 06/2025" in page.text


def test_demo_reports_are_plausible_and_correctable(db, warehouse, settings):
    from dieuhanh.demo.service import DemoContext
    from dieuhanh.reporting import demo, service

    with db.session() as session:
        ctx = DemoContext(session=session, warehouse=warehouse, settings=settings, rng=random.Random(7))
        started = time.perf_counter()
        summary = demo.run(ctx)
        elapsed = time.perf_counter() - started
    print(f"reporting demo: {elapsed:.2f} s")  # ≈ 2 s on an idle 2-core machine; not asserted (shared CI load)
    assert summary["submissions"] >= 14 * 11 and summary["missing_last_period"] >= 3  # 3 left out + late
    rows = rows_of(warehouse, "bao_cao_kt_xh_thang")
    assert len(rows) == summary["submissions"] - 20  # the quarterly reports have their own dataset
    assert all(0 <= r["giai_ngan_luy_ke"] <= r["ke_hoach_von_nam"] for r in rows)
    today = service.today_local()
    with db.session() as session:
        last = max(r["ky"] for r in rows)
        late = service.late_list(session, principal=SYSTEM, period=last, today=today)
        assert len([r for r in late if r["status"] == "chưa nộp"]) == summary["missing_last_period"]
    timeliness = warehouse.query("SELECT sum(dung_han) AS ok, count(*) AS n FROM bao_cao_dinh_ky_nop").to_pylist()[0]
    assert 0.6 < timeliness["ok"] / timeliness["n"] < 0.97  # most on time, some late or missing
    # Correcting one demo submission (the year shares one batch) replaces only that agency and month.
    before = len(rows)
    with db.session() as session:
        result = service.submit_values(session, warehouse, principal=SYSTEM, code="kt_xh_thang", values={
            "ke_hoach_von_nam": "100", "giai_ngan_thang": "1", "giai_ngan_luy_ke": "2", "nhiem_vu_duoc_giao": "3",
            "nhiem_vu_hoan_thanh": "3"}, agency_code="SYT", period=rows[0]["ky"], province_code="37",
            max_bytes=1 << 20)
        assert result.accepted, result.errors
    after = rows_of(warehouse, "bao_cao_kt_xh_thang")
    assert len(after) == before
    mine = [r for r in after if r["co_quan"] == "SYT" and r["ky"] == rows[0]["ky"]]
    assert [r["ke_hoach_von_nam"] for r in mine] == [100.0]
    others = sorted((r["co_quan"], r["ky"], r["giai_ngan_luy_ke"]) for r in after if r not in mine)
    assert others == sorted((r["co_quan"], r["ky"], r["giai_ngan_luy_ke"]) for r in rows
                            if not (r["co_quan"] == "SYT" and r["ky"] == rows[0]["ky"]))
