"""qd766_ranking (reserved; filled by the work that needs it)

Revision ID: 0023_qd766_ranking
Revises: 0022_conformance_speed
Create Date: 2026-12-07 10:20:00
"""

revision = '0023_qd766_ranking'
down_revision = '0022_conformance_speed'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
