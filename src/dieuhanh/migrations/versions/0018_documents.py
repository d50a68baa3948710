"""documents (reserved; filled by the work that needs it)

Revision ID: 0018_documents
Revises: 0017_environment
Create Date: 2026-12-07 03:30:00
"""

revision = '0018_documents'
down_revision = '0017_environment'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
