"""Small known data for indicator tests, loaded through the real ingestion path."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dieuhanh.catalog import service as catalog
from dieuhanh.catalog.schemas import ColumnIn, DatasetIn
from dieuhanh.core.security import SYSTEM
from dieuhanh.geo import reference
from dieuhanh.indicators import service
from dieuhanh.indicators.schemas import parse_definition

COMMUNES = [u.code for u in reference.communes_of("37")]
A, B, C = COMMUNES[:3]  # C never has data

VAX_SCHEMA = [
    ColumnIn(name="ma_xa", type="unit_code", required=True),
    ColumnIn(name="thang", type="string", required=True),
    ColumnIn(name="so_tre", type="integer", required=True),
    ColumnIn(name="da_tiem", type="integer", required=True),
]

VAX_CSV = f"ma_xa,thang,so_tre,da_tiem\n{A},2025-05,100,90\n{B},2025-05,50,50\n{A},2025-06,100,96\n{B},2025-06,100,80\n"

VAX_SQL = """
SELECT thang AS period, ma_xa AS unit_code, 100.0 * sum(da_tiem) / sum(so_tre) AS value,
       sum(da_tiem) AS numerator, sum(so_tre) AS denominator
FROM tiem_thu GROUP BY GROUPING SETS ((thang, ma_xa), (thang))
"""


def vax_definition(**extra: Any) -> dict[str, Any]:
    return {"code": "ty_le_tiem", "name": "Tỷ lệ tiêm chủng đầy đủ", "domain": "health", "unit": "%",
            "periodicity": "month", "levels": ["province", "commune"], "direction": "higher_better",
            "owner_agency": "SYT", "public": True, "targets": {"2025": 95},
            "thresholds": {"warning": 95, "critical": 90},
            "sql": VAX_SQL, **extra}


def create_and_load(db, warehouse, csv: str = VAX_CSV, name: str = "tiem_thu", create: bool = True) -> str:
    from dieuhanh.ingest import service as ingest

    with db.session() as session:
        if create:
            catalog.create_dataset(session, principal=SYSTEM, dataset_in=DatasetIn(
                name=name, title="Tiêm chủng thử nghiệm", owner_agency="SYT", access="internal", schema=VAX_SCHEMA))
        result = ingest.load(session, warehouse, principal=SYSTEM, dataset_name=name, source=csv.encode(),
                             filename="t.csv", province_code="37", max_bytes=10_000_000)
        return result.batch_id


def add_definition(db, **extra: Any) -> None:
    from dieuhanh.indicators.models import IndicatorDefinition

    item = parse_definition(vax_definition(**extra))
    with db.session() as session:
        session.add(IndicatorDefinition(code=item.code, origin="test", state="ok", **service._fields(item)))


def age_batches(db, seconds: float = 3600) -> None:
    """Pretend the loads happened a while ago (past the recompute debounce)."""
    from sqlalchemy import update

    from dieuhanh.catalog.models import LoadBatch
    from dieuhanh.core.db import utcnow

    with db.session() as session:
        session.execute(update(LoadBatch).values(created_at=utcnow() - timedelta(seconds=seconds)))
