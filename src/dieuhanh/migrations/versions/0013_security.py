"""security (reserved; filled by the work that needs it)

Revision ID: 0013_security
Revises: 0012_pull_secret_encryption
Create Date: 2026-12-07 03:30:00
"""

revision = '0013_security'
down_revision = '0012_pull_secret_encryption'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
