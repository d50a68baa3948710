"""feedback: the hash of the citizen's secret key (tracking link) that rating and reopening require

Revision ID: 0011_feedback_owner_key
Revises: 0010_agency_units
Create Date: 2026-11-27 06:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0011_feedback_owner_key'
down_revision = '0010_agency_units'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: reports made before this revision have no key (rating and reopening them online is refused).
    with op.batch_alter_table('feedback_report') as batch:
        batch.add_column(sa.Column('owner_key_hash', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('feedback_report') as batch:
        batch.drop_column('owner_key_hash')
