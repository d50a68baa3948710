"""Imports every module's tables so that Alembic and the tests see the whole schema."""

import dieuhanh.alerts.models  # noqa: F401
import dieuhanh.dashboard.models  # noqa: F401
import dieuhanh.documents.models  # noqa: F401
import dieuhanh.dti.models  # noqa: F401
import dieuhanh.environment.models  # noqa: F401
import dieuhanh.feedback.models  # noqa: F401
import dieuhanh.forecasting.models  # noqa: F401
import dieuhanh.inspections.models  # noqa: F401
import dieuhanh.operations.models  # noqa: F401
import dieuhanh.publicservices.models  # noqa: F401
import dieuhanh.reporting.models  # noqa: F401
from dieuhanh.catalog.models import (  # noqa: F401
    AccessRequest,
    Dataset,
    DatasetColumn,
    Grant,
    LoadBatch,
    SchemaVersion,
    UpdateRequest,
)
from dieuhanh.core.audit import AuditEntry  # noqa: F401
from dieuhanh.core.jobs import JobRun  # noqa: F401
from dieuhanh.core.meta import AppMeta  # noqa: F401
from dieuhanh.geo.models import AdminUnit  # noqa: F401
from dieuhanh.indicators.models import ComputeRun, IndicatorDefinition, IndicatorValue  # noqa: F401
from dieuhanh.ingest.models import DeadLetter, MqttSubscription, PullRun, PullSource  # noqa: F401
from dieuhanh.orgs.models import Agency, ApiToken, User  # noqa: F401
