"""dti (reserved; filled by the work that needs it)

Revision ID: 0021_dti
Revises: 0020_forecasting
Create Date: 2026-12-07 03:30:00
"""

revision = '0021_dti'
down_revision = '0020_forecasting'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
