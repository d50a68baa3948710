"""inspections (reserved; filled by the work that needs it)

Revision ID: 0019_inspections
Revises: 0018_documents
Create Date: 2026-12-07 03:30:00
"""

revision = '0019_inspections'
down_revision = '0018_documents'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
