"""trusted numbers (reserved; filled by the work that needs it)

Revision ID: 0014_trusted_numbers
Revises: 0013_security
Create Date: 2026-12-07 03:30:00
"""

revision = '0014_trusted_numbers'
down_revision = '0013_security'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
