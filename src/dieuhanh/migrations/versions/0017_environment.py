"""environment: air-quality monitoring stations and their hourly readings (VN_AQI is computed, not stored)

Revision ID: 0017_environment
Revises: 0016_operations
Create Date: 2026-12-07 03:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0017_environment'
down_revision = '0016_operations'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('env_station',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('unit_code', sa.String(length=10), nullable=True),
    sa.Column('operator', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('demo', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_env_station')),
    sa.UniqueConstraint('code', name=op.f('uq_env_station_code'))
    )
    with op.batch_alter_table('env_station', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_env_station_unit_code'), ['unit_code'], unique=False)

    op.create_table('env_observation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('parameter', sa.String(length=8), nullable=False),
    sa.Column('observed_at', sa.DateTime(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('unit', sa.String(length=8), nullable=False),
    sa.Column('flag', sa.String(length=20), nullable=True),
    sa.Column('demo', sa.Boolean(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['station_id'], ['env_station.id'], name=op.f('fk_env_observation_station_id_env_station'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_env_observation')),
    sa.UniqueConstraint('station_id', 'parameter', 'observed_at',
                        name=op.f('uq_env_observation_station_id'))
    )
    with op.batch_alter_table('env_observation', schema=None) as batch_op:
        batch_op.create_index('ix_env_observation_station_time', ['station_id', 'observed_at'], unique=False)
    op.create_table('env_pull_source',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('header_name', sa.String(length=100), nullable=False),
    sa.Column('secret', sa.String(length=2000), nullable=True),
    sa.Column('every_minutes', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('last_run_at', sa.DateTime(), nullable=True),
    sa.Column('last_status', sa.String(length=10), nullable=True),
    sa.Column('last_message', sa.String(length=1000), nullable=True),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_env_pull_source'))
    )


def downgrade() -> None:
    op.drop_table('env_pull_source')
    with op.batch_alter_table('env_observation', schema=None) as batch_op:
        batch_op.drop_index('ix_env_observation_station_time')
    op.drop_table('env_observation')
    with op.batch_alter_table('env_station', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_env_station_unit_code'))
    op.drop_table('env_station')
