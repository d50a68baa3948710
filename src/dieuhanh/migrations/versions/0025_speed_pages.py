"""speed_pages (reserved; filled by the work that needs it)

Revision ID: 0025_speed_pages
Revises: 0024_inspections_balance
Create Date: 2026-12-07 10:20:00
"""

revision = '0025_speed_pages'
down_revision = '0024_inspections_balance'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
