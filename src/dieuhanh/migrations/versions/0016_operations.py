"""operations (reserved; filled by the work that needs it)

Revision ID: 0016_operations
Revises: 0015_qd766_complete
Create Date: 2026-12-07 03:30:00
"""

revision = '0016_operations'
down_revision = '0015_qd766_complete'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
