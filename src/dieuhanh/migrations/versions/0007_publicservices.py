"""publicservices: (filled in by the publicservices module)

Revision ID: 0007_publicservices
Revises: 0006_reporting
Create Date: 2026-11-26 06:00:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0007_publicservices'
down_revision = '0006_reporting'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
