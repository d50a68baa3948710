"""speed_ingest_search: an index on dataset.updated_at, so that open-data search sees a change with two index look-ups

Revision ID: 0026_speed_ingest_search
Revises: 0025_speed_pages
Create Date: 2026-12-07 10:20:00
"""

from alembic import op

revision = '0026_speed_ingest_search'
down_revision = '0025_speed_pages'
branch_labels = None
depends_on = None



def upgrade() -> None:
    op.create_index("ix_dataset_updated_at", "dataset", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_dataset_updated_at", table_name="dataset")
