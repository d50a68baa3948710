"""Builders shared by the operations tests (through the real services and API)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

HOA_LU = (20.2530, 105.9745)  # Trần Hưng Đạo, phường Hoa Lư
PHU_LY = (20.5425, 105.9130)  # Lê Hoàn, phường Phủ Lý
GIAN_KHAU = (20.3280, 105.9260)  # KCN Gián Khẩu, xã Gia Trấn
HANOI = (21.0285, 105.8542)  # outside the province


def iso(minutes_ago: float = 0) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat(timespec="seconds")


START = iso(1)  # one time for every event a test builds, so that re-sending one is the same event


def event(n: int | str = 1, **overrides: Any) -> dict[str, Any]:
    body = {"source": "camera-vendor", "source_event_id": f"evt-{n}", "type": "traffic_jam", "severity": "minor",
            "occurred_at": START, "lat": HOA_LU[0], "lon": HOA_LU[1], "title": f"Ùn tắc số {n}",
            "description": "Mật độ phương tiện cao", "payload": {"confidence": 0.91}}
    body.update(overrides)
    return body


def events_token(factory: Any, agency: str | None = "CAT") -> dict[str, str]:
    _, secret = factory.token(["events"], agency=agency, name="camera-vendor")
    return {"Authorization": f"Bearer {secret}"}
