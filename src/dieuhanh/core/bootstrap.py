"""Reference data every installation needs: the province's units and its standard agencies."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dieuhanh.geo import service as geo_service
from dieuhanh.orgs import service as orgs_service


def bootstrap(session: Session, *, province_code: str) -> dict[str, int]:
    units = geo_service.sync_units(session, province_code=province_code)
    communes = [(u.code, u.name) for u in geo_service.communes(session)]
    agencies = orgs_service.ensure_agencies(session, communes=communes)
    return {"units": units, "agencies": agencies}
