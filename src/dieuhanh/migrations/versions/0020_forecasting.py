"""forecasting (reserved; filled by the work that needs it)

Revision ID: 0020_forecasting
Revises: 0019_inspections
Create Date: 2026-12-07 03:30:00
"""

revision = '0020_forecasting'
down_revision = '0019_inspections'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
