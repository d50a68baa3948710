"""trusted numbers: publication schedules, cumulative indicators and drill-down links on definitions; partial
periods (as of the computation instant, with a like-for-like base) on values

Revision ID: 0014_trusted_numbers
Revises: 0013_security
Create Date: 2026-12-07 03:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0014_trusted_numbers'
down_revision = '0013_security'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('indicator_definition') as batch:
        batch.add_column(sa.Column('publication', sa.JSON(), nullable=False, server_default='{}'))
        batch.add_column(sa.Column('cumulative', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('details_url', sa.String(length=300), nullable=True))
    with op.batch_alter_table('indicator_value') as batch:
        batch.add_column(sa.Column('partial', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('as_of', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('base_value', sa.Float(), nullable=True))
        batch.add_column(sa.Column('base_period', sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('indicator_value') as batch:
        batch.drop_column('base_period')
        batch.drop_column('base_value')
        batch.drop_column('as_of')
        batch.drop_column('partial')
    with op.batch_alter_table('indicator_definition') as batch:
        batch.drop_column('details_url')
        batch.drop_column('cumulative')
        batch.drop_column('publication')
