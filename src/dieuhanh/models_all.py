"""Imports every module's tables so that Alembic and the tests see the whole schema."""

from dieuhanh.core.audit import AuditEntry  # noqa: F401
from dieuhanh.core.meta import AppMeta  # noqa: F401
from dieuhanh.geo.models import AdminUnit  # noqa: F401
from dieuhanh.orgs.models import Agency, ApiToken, User  # noqa: F401
