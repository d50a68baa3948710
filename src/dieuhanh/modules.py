"""The explicit list of domain modules the application loads, in order (no magic discovery)."""

from dieuhanh.alerts.module import MODULE as ALERTS
from dieuhanh.catalog.module import MODULE as CATALOG
from dieuhanh.core.plugin import Module
from dieuhanh.geo.module import MODULE as GEO
from dieuhanh.indicators.module import MODULE as INDICATORS
from dieuhanh.ingest.module import MODULE as INGEST
from dieuhanh.opendata.module import MODULE as OPENDATA
from dieuhanh.orgs.module import MODULE as ORGS
from dieuhanh.web.module import MODULE as WEB

# Order matters for the demo: alerts write their directive snapshot before the indicator set computes.
MODULES: list[Module] = [WEB, GEO, ORGS, CATALOG, INGEST, OPENDATA, ALERTS, INDICATORS]
