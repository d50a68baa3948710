"""speed_ingest_search (reserved; filled by the work that needs it)

Revision ID: 0026_speed_ingest_search
Revises: 0025_speed_pages
Create Date: 2026-12-07 10:20:00
"""

revision = '0026_speed_ingest_search'
down_revision = '0025_speed_pages'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
