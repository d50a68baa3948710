"""feedback: (filled in by the feedback module)

Revision ID: 0008_feedback
Revises: 0007_publicservices
Create Date: 2026-11-26 06:00:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0008_feedback'
down_revision = '0007_publicservices'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
