"""reporting: (filled in by the reporting module)

Revision ID: 0006_reporting
Revises: 0005_alerts
Create Date: 2026-11-26 06:00:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0006_reporting'
down_revision = '0005_alerts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
