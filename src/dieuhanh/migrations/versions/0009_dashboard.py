"""dashboard: (filled in by the dashboard module)

Revision ID: 0009_dashboard
Revises: 0008_feedback
Create Date: 2026-11-26 06:00:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0009_dashboard'
down_revision = '0008_feedback'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
