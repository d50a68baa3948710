"""Alert evaluation on small IndicatorValue data (inserted directly: they are plain rows, not mocks).

Notifications go to a tiny HTTP server on 127.0.0.1 standing in for the receiving system's webhook endpoint (a
fake at the edge of a system we do not own). E-mail: no SMTP server is configured here (aiosmtpd is not
installed), so the test checks that the e-mail channel is skipped with a recorded reason.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from dieuhanh.alerts import service
from dieuhanh.alerts.models import AlertInstance, AlertRule, AlertStateChange, Notification, Silence
from dieuhanh.catalog.models import Dataset
from dieuhanh.core.security import Principal
from dieuhanh.indicators.models import IndicatorDefinition, IndicatorValue

T0 = datetime(2025, 7, 10, 3, 0)  # naive UTC: 10/07/2025 10:00 in Hà Nội
ANALYST = Principal(kind="user", id=1, name="phan-tich", role="analyst")


def add_indicator(session: Any, code: str = "thu_ngan_sach", *, periodicity: str = "month",
                  targets: dict[str, float] | None = None, direction: str = "higher_better",
                  datasets: list[str] | None = None, state: str = "ok", error: str | None = None) -> None:
    session.add(IndicatorDefinition(
        code=code, name=f"Chỉ số {code}", domain="socio_economy", unit="tỷ đồng", periodicity=periodicity,
        levels=["province", "commune"], sql="SELECT 1", datasets=datasets or [], direction=direction,
        targets=targets or {}, thresholds={}, state=state, error=error))
    session.flush()


def add_value(session: Any, period: str, value: float | None, *, code: str = "thu_ngan_sach", unit: str = "37",
              level: str = "province", target: float | None = None) -> None:
    existing = session.scalar(select(IndicatorValue).where(
        IndicatorValue.code == code, IndicatorValue.period == period, IndicatorValue.unit_code == unit))
    if existing is not None:
        existing.value, existing.target = value, target
    else:
        session.add(IndicatorValue(code=code, period=period, unit_code=unit, level=level, value=value,
                                   target=target, status="nodata" if value is None else "neutral", batches=[]))
    session.flush()


def add_rule(session: Any, kind: str = "threshold", *, code: str = "thu_ngan_sach", **kw: Any) -> AlertRule:
    defaults: dict[str, Any] = {"name": f"Quy tắc {kind}", "indicator_code": code, "level": "province",
                                "unit_code": None, "kind": kind, "params": {"op": ">", "value": 100},
                                "severity": "warning", "pending_for": 0, "pending_unit": "evaluations",
                                "channels": [], "group_by": ["rule"], "repeat_interval_minutes": 60}
    defaults.update(kw)
    rule = AlertRule(**defaults)
    session.add(rule)
    session.flush()
    return rule


def instances(session: Any, rule: AlertRule) -> dict[str, AlertInstance]:
    session.expire_all()
    return {i.unit_code: i for i in session.scalars(select(AlertInstance).where(AlertInstance.rule_id == rule.id))}


def state_of(session: Any, rule: AlertRule, unit: str = "37") -> str:
    return instances(session, rule)[unit].state


def changes(session: Any, rule: AlertRule, unit: str = "37") -> list[tuple[str, str]]:
    inst = instances(session, rule)[unit]
    return [(c.from_state, c.to_state) for c in session.scalars(
        select(AlertStateChange).where(AlertStateChange.instance_id == inst.id).order_by(AlertStateChange.id))]


# ------------------------------------------------------------------------------------------------ states


def test_pending_then_alerting_then_normal_nodata_and_error(db):
    with db.session() as s:
        add_indicator(s)
        add_value(s, "2025-06", 120)
        rule = add_rule(s, pending_for=2)
        service.evaluate(s, now=T0)
        assert state_of(s, rule) == "Pending"
        service.evaluate(s, now=T0 + timedelta(minutes=1))
        assert state_of(s, rule) == "Pending"  # held for one more evaluation only
        service.evaluate(s, now=T0 + timedelta(minutes=2))
        inst = instances(s, rule)["37"]
        assert inst.state == "Alerting" and inst.last_value == 120 and inst.since == T0 + timedelta(minutes=2)
        assert inst.period == "2025-06"

        add_value(s, "2025-06", 90)
        service.evaluate(s, now=T0 + timedelta(minutes=3))
        assert state_of(s, rule) == "Normal"

        add_value(s, "2025-07", None)  # the latest period has no value
        service.evaluate(s, now=T0 + timedelta(minutes=4))
        assert state_of(s, rule) == "NoData"

        definition = s.get(IndicatorDefinition, "thu_ngan_sach")
        definition.state, definition.error = "error", "Bảng nguồn không tồn tại"
        service.evaluate(s, now=T0 + timedelta(minutes=5))
        inst = instances(s, rule)["37"]
        assert inst.state == "Error" and "Bảng nguồn không tồn tại" in inst.message
        assert changes(s, rule) == [("Normal", "Pending"), ("Pending", "Alerting"), ("Alerting", "Normal"),
                                    ("Normal", "NoData"), ("NoData", "Error")]


def test_pending_that_clears_goes_back_to_normal_without_alerting(db):
    with db.session() as s:
        add_indicator(s)
        add_value(s, "2025-06", 120)
        rule = add_rule(s, pending_for=3)
        service.evaluate(s, now=T0)
        add_value(s, "2025-06", 80)
        service.evaluate(s, now=T0 + timedelta(minutes=1))
        assert changes(s, rule) == [("Normal", "Pending"), ("Pending", "Normal")]
        assert s.scalar(select(Notification.id)) is None


def test_pending_for_minutes(db):
    with db.session() as s:
        add_indicator(s)
        add_value(s, "2025-06", 120)
        rule = add_rule(s, pending_for=5, pending_unit="minutes")
        service.evaluate(s, now=T0)
        service.evaluate(s, now=T0 + timedelta(minutes=4))
        assert state_of(s, rule) == "Pending"
        service.evaluate(s, now=T0 + timedelta(minutes=5))
        assert state_of(s, rule) == "Alerting"


def test_unknown_indicator_is_an_error(db):
    with db.session() as s:
        rule = add_rule(s, code="khong_co")
        service.evaluate(s, now=T0)
        inst = next(iter(instances(s, rule).values()))
        assert inst.state == "Error" and "khong_co" in inst.message


# ------------------------------------------------------------------------------------------------ rule types


def test_threshold_below(db):
    with db.session() as s:
        add_indicator(s)
        add_value(s, "2025-05", 10)
        add_value(s, "2025-06", 40)
        rule = add_rule(s, params={"op": "<", "value": 50})
        service.evaluate(s, now=T0)
        assert state_of(s, rule) == "Alerting"
        add_value(s, "2025-06", 50)
        service.evaluate(s, now=T0 + timedelta(minutes=1))
        assert state_of(s, rule) == "Normal"


def test_change_vs_previous_period_in_percent(db):
    with db.session() as s:
        add_indicator(s)
        add_value(s, "2025-05", 100)
        add_value(s, "2025-06", 80)  # −20 %
        rule = add_rule(s, "change", params={"compare": "previous", "mode": "percent", "op": "<", "value": -10})
        service.evaluate(s, now=T0)
        assert state_of(s, rule) == "Alerting"
        add_value(s, "2025-06", 95)  # −5 %
        service.evaluate(s, now=T0 + timedelta(minutes=1))
        assert state_of(s, rule) == "Normal"


def test_change_vs_same_period_last_year_absolute(db):
    with db.session() as s:
        add_indicator(s)
        add_value(s, "2024-06", 50)
        add_value(s, "2025-05", 70)
        add_value(s, "2025-06", 55)  # +5 on June 2024 (and −15 on May: must not be the comparison)
        rule = add_rule(s, "change", params={"compare": "last_year", "mode": "absolute", "op": ">", "value": 10})
        service.evaluate(s, now=T0)
        assert state_of(s, rule) == "Normal"
        add_value(s, "2025-06", 65)  # +15
        service.evaluate(s, now=T0 + timedelta(minutes=1))
        assert state_of(s, rule) == "Alerting"


def test_change_without_a_comparison_period_is_nodata(db):
    with db.session() as s:
        add_indicator(s)
        add_value(s, "2025-06", 55)
        rule = add_rule(s, "change", params={"compare": "last_year", "mode": "percent", "op": ">", "value": 10})
        service.evaluate(s, now=T0)
        assert state_of(s, rule) == "NoData"


def test_behind_target_is_pro_rated_for_the_time_of_year(db):
    with db.session() as s:
        add_indicator(s)
        add_value(s, "2025-06", 400, target=1000)  # 50 % of the yearly plan expected by end of June
        rule = add_rule(s, "behind_target", params={"cumulative": True})
        service.evaluate(s, now=T0)
        inst = instances(s, rule)["37"]
        assert inst.state == "Alerting" and "500" in inst.message
        add_value(s, "2025-06", 520, target=1000)
        service.evaluate(s, now=T0 + timedelta(minutes=1))
        assert state_of(s, rule) == "Normal"


def test_behind_target_quarterly_with_the_definition_target(db):
    with db.session() as s:
        add_indicator(s, "von_dau_tu", periodicity="quarter", targets={"2025": 1000})
        add_value(s, "2025-Q2", 450, code="von_dau_tu")
        rule = add_rule(s, "behind_target", code="von_dau_tu", params={"tolerance": 5})
        service.evaluate(s, now=T0)
        assert state_of(s, rule) == "Alerting"  # 450 < 500 × 0.95
        add_value(s, "2025-Q2", 480, code="von_dau_tu")
        service.evaluate(s, now=T0 + timedelta(minutes=1))
        assert state_of(s, rule) == "Normal"  # within the 5 % tolerance


def test_missing_data_for_the_latest_expected_period(db):
    with db.session() as s:
        add_indicator(s)
        add_value(s, "2025-05", 100)
        rule = add_rule(s, "missing_data", unit_code="37", params={})
        service.evaluate(s, now=T0)  # 10/07/2025: June's data is due by 20/07 (the default schedule)
        assert state_of(s, rule) == "Normal"
        service.evaluate(s, now=T0 + timedelta(days=11))  # 21/07/2025: June should be there
        inst = instances(s, rule)["37"]
        assert inst.state == "Alerting"
        assert "kỳ 06/2025 chưa có số liệu, hạn công bố 20/07/2025" in inst.message
        add_value(s, "2025-06", 101)
        service.evaluate(s, now=T0 + timedelta(days=11, minutes=1))
        assert state_of(s, rule) == "Normal"


def test_missing_data_when_a_source_dataset_is_late(db):
    with db.session() as s:
        # Loaded 60 days ago but covering June, the period due: a monthly source is judged by the period it
        # covers (the indicator's periods), not by its load time.
        s.add(Dataset(name="thu_chi", title="Thu chi ngân sách", owner_agency="TKT", license_id="cc-by-4.0",
                      access="internal", update_frequency="monthly", tags=[], created_by="test",
                      last_batch_at=T0 - timedelta(days=60)))
        # A weekly feed has no period column to judge: its last load counts.
        s.add(Dataset(name="gia_ca_tuan", title="Giá cả thị trường hằng tuần", owner_agency="SCT",
                      license_id="cc-by-4.0", access="internal", update_frequency="weekly", tags=[],
                      created_by="test", last_batch_at=T0 - timedelta(days=30)))
        add_indicator(s, datasets=["thu_chi", "gia_ca_tuan"])
        add_value(s, "2025-06", 100)
        rule = add_rule(s, "missing_data", unit_code="37", params={})
        service.evaluate(s, now=T0)
        inst = instances(s, rule)["37"]
        assert inst.state == "Alerting"
        assert "«Giá cả thị trường hằng tuần»" in inst.message and "thu_chi" not in inst.message
        assert "Thu chi" not in inst.message and "gia_ca_tuan" not in inst.message  # titles, never table names
        s.scalar(select(Dataset).where(Dataset.name == "gia_ca_tuan")).last_batch_at = T0 - timedelta(days=3)
        service.evaluate(s, now=T0 + timedelta(minutes=1))
        assert state_of(s, rule) == "Normal"


def test_anomaly_robust_z_score(db):
    with db.session() as s:
        add_indicator(s)
        for month, v in enumerate([100, 102, 98, 101, 99, 103, 97, 100, 101, 99], start=1):
            add_value(s, f"2024-{month:02d}", v)
        add_value(s, "2024-11", 150)
        rule = add_rule(s, "anomaly", params={"window": 12, "k": 3.5})
        service.evaluate(s, now=T0)
        inst = instances(s, rule)["37"]
        assert inst.state == "Alerting" and "z =" in inst.message
        add_value(s, "2024-11", 101.5)
        service.evaluate(s, now=T0 + timedelta(minutes=1))
        assert state_of(s, rule) == "Normal"


def test_anomaly_needs_enough_history(db):
    with db.session() as s:
        add_indicator(s)
        add_value(s, "2025-05", 100)
        add_value(s, "2025-06", 500)
        rule = add_rule(s, "anomaly", params={"window": 12, "k": 3.5})
        service.evaluate(s, now=T0)
        assert state_of(s, rule) == "NoData"


def test_one_instance_per_commune(db):
    with db.session() as s:
        add_indicator(s)
        add_value(s, "2025-06", 150, unit="11111", level="commune")
        add_value(s, "2025-06", 50, unit="22222", level="commune")
        add_value(s, "2025-06", 999, unit="37", level="province")  # another level: not this rule's business
        rule = add_rule(s, level="commune")
        service.evaluate(s, now=T0)
        found = instances(s, rule)
        assert {u: i.state for u, i in found.items()} == {"11111": "Alerting", "22222": "Normal"}


# ------------------------------------------------------------------------------------------------ notifications


class _Receiver:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.status = 200


@pytest.fixture
def receiver() -> Iterator[tuple[_Receiver, str]]:
    """A webhook endpoint on 127.0.0.1 recording every JSON body it receives."""
    state = _Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("content-length", 0))
            state.bodies.append(json.loads(self.rfile.read(length)))
            self.send_response(state.status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # shutdown() waits for the serving loop's next poll: 0.5 s by default, at the end of every test.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def test_alerts_of_one_group_are_sent_as_one_webhook(db, receiver):
    state, url = receiver
    with db.session() as s:
        add_indicator(s)
        add_indicator(s, "khach_du_lich")
        add_value(s, "2025-06", 150)
        add_value(s, "2025-06", 150, code="khach_du_lich")
        hook = {"type": "webhook", "url": url}
        add_rule(s, name="Thu vượt", channels=[hook], group_by=["severity"])
        add_rule(s, name="Thu rất cao", channels=[hook], group_by=["severity"], params={"op": ">", "value": 120})
        add_rule(s, name="Khách", code="khach_du_lich", channels=[hook], group_by=["severity"], severity="critical")
        service.evaluate(s, now=T0)
        assert len(state.bodies) == 2  # warning group (two alerts) and critical group (one)
        by_size = sorted(state.bodies, key=lambda b: len(b["alerts"]))
        assert [len(b["alerts"]) for b in by_size] == [1, 2]
        assert {a["rule"] for a in by_size[1]["alerts"]} == {"Thu vượt", "Thu rất cao"}
        assert by_size[1]["status"] == "firing" and by_size[1]["group_key"] == "severity=warning"
        notes = list(s.scalars(select(Notification)))
        assert sorted(n.channel for n in notes) == ["inapp", "inapp", "webhook", "webhook"]
        assert all(n.status == "sent" for n in notes)


def test_every_commune_firing_in_one_evaluation_is_one_notification(db, receiver):
    state, url = receiver
    with db.session() as s:
        add_indicator(s)
        for unit in ("11111", "22222", "33333"):
            add_value(s, "2025-06", 150, unit=unit, level="commune")
        add_rule(s, level="commune", channels=[{"type": "webhook", "url": url}], group_by=["rule"])
        service.evaluate(s, now=T0)
        assert len(state.bodies) == 1
        assert sorted(a["unit_code"] for a in state.bodies[0]["alerts"]) == ["11111", "22222", "33333"]


def test_repeat_interval_and_resolution(db, receiver):
    state, url = receiver
    with db.session() as s:
        add_indicator(s)
        add_value(s, "2025-06", 150)
        add_rule(s, channels=[{"type": "webhook", "url": url}], repeat_interval_minutes=60)
        service.evaluate(s, now=T0)
        assert len(state.bodies) == 1
        service.evaluate(s, now=T0 + timedelta(minutes=30))
        service.evaluate(s, now=T0 + timedelta(minutes=59))
        assert len(state.bodies) == 1  # still alerting, not re-sent before the interval
        service.evaluate(s, now=T0 + timedelta(minutes=60))
        assert len(state.bodies) == 2 and state.bodies[1]["status"] == "firing"
        service.evaluate(s, now=T0 + timedelta(minutes=61))
        assert len(state.bodies) == 2
        add_value(s, "2025-06", 90)
        service.evaluate(s, now=T0 + timedelta(minutes=62))
        assert len(state.bodies) == 3 and state.bodies[2]["status"] == "resolved"
        service.evaluate(s, now=T0 + timedelta(minutes=200))
        assert len(state.bodies) == 3


def test_silence_suppresses_notifications_but_not_state(db, receiver):
    state, url = receiver
    with db.session() as s:
        add_indicator(s)
        add_value(s, "2025-06", 150)
        rule = add_rule(s, channels=[{"type": "webhook", "url": url}])
        s.add(Silence(indicator_code="thu_ngan_sach", unit_code="37", starts_at=T0 - timedelta(hours=1),
                      ends_at=T0 + timedelta(hours=1), created_by="test", comment="đang xử lý"))
        s.flush()
        service.evaluate(s, now=T0)
        assert state_of(s, rule) == "Alerting"
        assert state.bodies == [] and s.scalar(select(Notification.id)) is None
        service.evaluate(s, now=T0 + timedelta(hours=1, minutes=1))  # silence over: the alert is told now
        assert len(state.bodies) == 1


def test_silence_for_another_unit_does_not_match(db, receiver):
    state, url = receiver
    with db.session() as s:
        add_indicator(s)
        add_value(s, "2025-06", 150)
        add_rule(s, channels=[{"type": "webhook", "url": url}])
        s.add(Silence(unit_code="11111", starts_at=T0 - timedelta(hours=1), ends_at=T0 + timedelta(hours=1),
                      created_by="test"))
        s.flush()
        service.evaluate(s, now=T0)
        assert len(state.bodies) == 1


def test_acknowledged_alert_is_not_repeated(db, receiver):
    state, url = receiver
    with db.session() as s:
        add_indicator(s)
        add_value(s, "2025-06", 150)
        rule = add_rule(s, channels=[{"type": "webhook", "url": url}], repeat_interval_minutes=10)
        service.evaluate(s, now=T0)
        inst = instances(s, rule)["37"]
        service.acknowledge(s, principal=ANALYST, instance_id=inst.id)
        assert instances(s, rule)["37"].acknowledged_by == "user:phan-tich"
        service.evaluate(s, now=T0 + timedelta(minutes=30))
        assert len(state.bodies) == 1


def test_failed_webhook_and_unconfigured_email_are_recorded(db, receiver):
    state, url = receiver
    state.status = 500
    with db.session() as s:
        add_indicator(s)
        add_value(s, "2025-06", 150)
        add_rule(s, channels=[{"type": "webhook", "url": url}, {"type": "email", "to": ["lanhdao@tinh.gov.vn"]}])
        service.evaluate(s, now=T0)
        notes = {n.channel: n for n in s.scalars(select(Notification))}
        assert notes["webhook"].status == "failed" and "HTTP 500" in (notes["webhook"].error or "")
        assert notes["email"].status == "skipped" and "smtp_host" in (notes["email"].error or "")
        assert notes["inapp"].status == "sent"


def test_alerts_are_evaluated_after_each_indicator_compute():
    from dieuhanh.alerts.module import _evaluate_after_compute
    from dieuhanh.indicators.service import AFTER_COMPUTE

    assert _evaluate_after_compute in AFTER_COMPUTE


class _SmtpSink:
    """A minimal SMTP server on 127.0.0.1 that keeps the messages it receives: a fake of the province's mail
    server, a system we do not own (only the commands smtplib sends are understood)."""

    def __init__(self) -> None:
        import socket

        self.messages: list[str] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn, conn.makefile("rwb") as f:
            def say(line: str) -> None:
                f.write(line.encode() + b"\r\n")
                f.flush()

            say("220 sink")
            while line := f.readline():
                command = line.decode(errors="replace").strip().upper()
                if command.startswith(("EHLO", "HELO")):
                    say("250 sink")
                elif command.startswith("DATA"):
                    say("354 end with .")
                    body = []
                    while (data := f.readline()) not in (b".\r\n", b""):
                        body.append(data.decode("utf-8", errors="replace"))
                    self.messages.append("".join(body))
                    say("250 queued")
                elif command.startswith("QUIT"):
                    say("221 bye")
                    return
                else:
                    say("250 ok")


def test_email_notification_goes_to_the_configured_smtp_server(db):
    from email import message_from_string
    from email.header import decode_header, make_header

    from dieuhanh.settings import Settings

    sink = _SmtpSink()
    settings = Settings(smtp_host="127.0.0.1", smtp_port=sink.port, smtp_from="ioc@ninhbinh.gov.vn")
    with db.session() as s:
        add_indicator(s)
        add_value(s, "2025-06", 150)
        add_rule(s, channels=[{"type": "email", "to": ["lanhdao@ninhbinh.gov.vn"]}])
        service.evaluate(s, now=T0, settings=settings)
        notes = {n.channel: n for n in s.scalars(select(Notification))}
    sink.thread.join(timeout=10)
    assert notes["email"].status == "sent", notes["email"].error
    assert len(sink.messages) == 1
    mail = message_from_string(sink.messages[0])
    assert mail["To"] == "lanhdao@ninhbinh.gov.vn" and mail["From"] == "ioc@ninhbinh.gov.vn"
    assert str(make_header(decode_header(mail["Subject"]))).startswith("[Cảnh báo]")
