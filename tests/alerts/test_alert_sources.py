"""Rules of kind ``source``: conditions a domain evaluates itself (alerts/sources.py) become alert instances."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from dieuhanh.alerts import service
from dieuhanh.alerts import sources as alert_sources
from dieuhanh.alerts.models import AlertInstance, AlertRule
from dieuhanh.alerts.schemas import RuleIn
from dieuhanh.core.errors import InvalidInput
from dieuhanh.core.security import SYSTEM

T0 = datetime(2026, 12, 7, 7, 0)  # naive UTC

# What the test's source reports, per key; a test sets it before each evaluation.
READINGS: dict[str, float] = {}


def _evaluate(session: Any, params: dict[str, Any], now: datetime) -> Iterator[alert_sources.SourceCondition]:
    limit = float(params["limit"])
    for key, value in sorted(READINGS.items()):
        yield alert_sources.SourceCondition(key=key, firing=value > limit, value=value, period="2026-12-07",
                                            message=f"Trạm {key}: {value} > {limit}" if value > limit else "ổn")


def _validate(params: dict[str, Any]) -> None:
    if not isinstance(params.get("limit"), int | float):
        raise ValueError("Cần «limit» là một số.")


@pytest.fixture(autouse=True)
def source() -> Iterator[alert_sources.AlertSource]:
    src = alert_sources.register(alert_sources.AlertSource(
        name="test.readings", label="Số đo thử nghiệm vượt ngưỡng", domain="environment", evaluate=_evaluate,
        names=lambda _s, keys: {k: f"Trạm quan trắc {k}" for k in keys}, validate=_validate))
    READINGS.clear()
    yield src
    alert_sources.SOURCES.pop(src.name, None)


def _rule(session: Any, **kw: Any) -> AlertRule:
    return service.create_rule(session, principal=SYSTEM, rule_in=RuleIn(**{
        "name": "Số đo vượt ngưỡng", "indicator_code": "test.readings", "kind": "source", "params": {"limit": 100},
        "severity": "critical", **kw}))


def _states(session: Any) -> dict[str, str]:
    return {i.unit_code: i.state for i in session.scalars(select(AlertInstance))}


def test_source_conditions_fire_and_clear_per_key(db):
    with db.session() as s:
        _rule(s)
        READINGS.update({"NB01": 150.0, "NB02": 40.0})
        counts = service.evaluate_sources(s, names=["test.readings"], now=T0)
        assert _states(s) == {"NB01": "Alerting", "NB02": "Normal"}
        assert counts["Alerting"] == 1
        READINGS.clear()  # the source no longer reports NB01: it is back to normal
        service.evaluate_sources(s, names=["test.readings"], now=T0 + timedelta(hours=1))
        assert _states(s) == {"NB01": "Normal", "NB02": "Normal"}


def test_source_rule_honours_pending_evaluations(db):
    with db.session() as s:
        _rule(s, pending_for=1)
        READINGS["NB01"] = 150.0
        service.evaluate_sources(s, names=["test.readings"], now=T0)
        assert _states(s) == {"NB01": "Pending"}
        service.evaluate_sources(s, names=["test.readings"], now=T0 + timedelta(hours=1))
        assert _states(s) == {"NB01": "Alerting"}


def test_unknown_source_and_bad_params_are_refused(db):
    with db.session() as s:
        with pytest.raises(InvalidInput, match="Không có nguồn cảnh báo «test.khong_co»"):
            _rule(s, indicator_code="test.khong_co")
        with pytest.raises(InvalidInput, match="Cần «limit» là một số"):
            _rule(s, params={"limit": "cao"})
        assert s.scalar(select(AlertRule.id)) is None


def test_api_shows_the_source_label_and_key_names(client, factory, db):
    with db.session() as s:
        _rule(s)
        READINGS["NB01"] = 150.0
        service.evaluate_sources(s, names=["test.readings"], now=T0)
    _, secret = factory.token(["read"], name="man-hinh")
    items = client.get("/api/v1/alerts?state=alerting", headers={"Authorization": f"Bearer {secret}"}).json()
    items = items["items"] if isinstance(items, dict) else items
    assert [(i["indicator"]["name"], i["unit"]["name"], i["message"]) for i in items] == [
        ("Số đo thử nghiệm vượt ngưỡng", "Trạm quan trắc NB01", "Trạm NB01: 150.0 > 100.0")]
