"""environment (reserved; filled by the work that needs it)

Revision ID: 0017_environment
Revises: 0016_operations
Create Date: 2026-12-07 03:30:00
"""

revision = '0017_environment'
down_revision = '0016_operations'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
