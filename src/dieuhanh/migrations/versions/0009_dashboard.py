"""dashboard: boards and their ordered items

Revision ID: 0009_dashboard
Revises: 0008_feedback
Create Date: 2026-11-26 06:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0009_dashboard'
down_revision = '0008_feedback'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dashboard_board',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('domain', sa.String(length=40), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('customised', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dashboard_board')),
    sa.UniqueConstraint('slug', name=op.f('uq_dashboard_board_slug'))
    )
    op.create_table('dashboard_board_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('indicator_code', sa.String(length=60), nullable=False),
    sa.Column('chart_kind', sa.String(length=10), nullable=False),
    sa.Column('span', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['board_id'], ['dashboard_board.id'], name=op.f('fk_dashboard_board_item_board_id_dashboard_board'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dashboard_board_item'))
    )
    with op.batch_alter_table('dashboard_board_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dashboard_board_item_board_id'), ['board_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('dashboard_board_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dashboard_board_item_board_id'))
    op.drop_table('dashboard_board_item')
    op.drop_table('dashboard_board')
