"""The explicit list of domain modules the application loads, in order (no magic discovery)."""

from dieuhanh.alerts.module import MODULE as ALERTS
from dieuhanh.catalog.module import MODULE as CATALOG
from dieuhanh.core.plugin import Module
from dieuhanh.dashboard.module import MODULE as DASHBOARD
from dieuhanh.documents.module import MODULE as DOCUMENTS
from dieuhanh.dti.module import MODULE as DTI
from dieuhanh.environment.module import MODULE as ENVIRONMENT
from dieuhanh.feedback.module import MODULE as FEEDBACK
from dieuhanh.forecasting.module import MODULE as FORECASTING
from dieuhanh.geo.module import MODULE as GEO
from dieuhanh.indicators.module import MODULE as INDICATORS
from dieuhanh.ingest.module import MODULE as INGEST
from dieuhanh.inspections.module import MODULE as INSPECTIONS
from dieuhanh.opendata.module import MODULE as OPENDATA
from dieuhanh.operations.module import MODULE as OPERATIONS
from dieuhanh.orgs.module import MODULE as ORGS
from dieuhanh.publicservices.module import MODULE as PUBLICSERVICES
from dieuhanh.reporting.module import MODULE as REPORTING
from dieuhanh.web.module import MODULE as WEB

# Order matters. For the demo: the domain modules (public services, citizen reports, department reports) and the
# alerts' directive snapshot write their data before the indicator set computes. For routing: the dashboard comes
# first, so that its overview is the home page `/`. Forecasting and DTI come after the indicator set: their demo
# reads computed indicator values.
MODULES: list[Module] = [
    DASHBOARD,
    WEB,
    GEO,
    ORGS,
    CATALOG,
    INGEST,
    OPENDATA,
    PUBLICSERVICES,
    FEEDBACK,
    REPORTING,
    OPERATIONS,
    ENVIRONMENT,
    DOCUMENTS,
    INSPECTIONS,
    ALERTS,
    INDICATORS,
    FORECASTING,
    DTI,
]
