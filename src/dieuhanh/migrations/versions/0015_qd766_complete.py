"""qd766 complete (reserved; filled by the work that needs it)

Revision ID: 0015_qd766_complete
Revises: 0014_trusted_numbers
Create Date: 2026-12-07 03:30:00
"""

revision = '0015_qd766_complete'
down_revision = '0014_trusted_numbers'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
