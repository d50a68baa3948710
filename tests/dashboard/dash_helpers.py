"""Small known indicator data for dashboard tests (definitions and values are plain rows, not mocks)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dieuhanh.geo import reference
from dieuhanh.indicators.models import IndicatorDefinition, IndicatorValue

PROVINCE = "37"
COMMUNES = [u.code for u in reference.communes_of(PROVINCE)]
A, B, C = COMMUNES[:3]  # C has no data
NAME_A = next(u.name for u in reference.communes_of(PROVINCE) if u.code == A)
MONTHS = [f"2024-{m:02d}" for m in range(1, 13)] + ["2025-01", "2025-02"]  # 14 months


def add_definition(session: Session, code: str, *, domain: str = "health", unit: str = "%",
                   levels: tuple[str, ...] = ("province", "commune"), direction: str = "higher_better",
                   name: str | None = None, public: bool = False, periodicity: str = "month",
                   datasets: list[str] | None = None, **extra: Any) -> IndicatorDefinition:
    defn = IndicatorDefinition(
        code=code, name=name or f"Chỉ số {code}", domain=domain, unit=unit, periodicity=periodicity,
        levels=list(levels), sql="SELECT 1", datasets=datasets or [], direction=direction, targets={},
        thresholds={}, owner_agency="SYT", legal_basis=extra.pop("legal_basis", "Thông tư 01/2025/TT-BYT"),
        source="", description="", public=public, published=True, origin="test", state="ok", **extra)
    session.add(defn)
    session.flush()
    return defn


def add_value(session: Session, code: str, period: str, value: float | None, *, unit: str = PROVINCE,
              target: float | None = None, status: str | None = None, batches: list[str] | None = None) -> None:
    level = "province" if unit == PROVINCE else "commune"
    session.add(IndicatorValue(code=code, period=period, unit_code=unit, level=level, value=value, target=target,
                               status=status or ("nodata" if value is None else "neutral"),
                               batches=batches or []))


def add_series(session: Session, code: str, values: list[float | None], *, unit: str = PROVINCE,
               target: float | None = None, status: str = "good") -> None:
    for period, value in zip(MONTHS, values, strict=False):
        add_value(session, code, period, value, unit=unit, target=target,
                  status="nodata" if value is None else status)
    session.flush()
