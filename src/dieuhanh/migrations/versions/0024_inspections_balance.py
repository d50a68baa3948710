"""inspections_balance (reserved; filled by the work that needs it)

Revision ID: 0024_inspections_balance
Revises: 0023_qd766_ranking
Create Date: 2026-12-07 10:20:00
"""

revision = '0024_inspections_balance'
down_revision = '0023_qd766_ranking'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
