"""forecasting: traffic forecasts per link and horizon, their runs, announced jams, waste scenarios

Revision ID: 0020_forecasting
Revises: 0019_inspections
Create Date: 2026-12-07 03:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0020_forecasting'
down_revision = '0019_inspections'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('traffic_forecast_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('dataset', sa.String(length=120), nullable=False),
    sa.Column('data_until', sa.DateTime(), nullable=True),
    sa.Column('links', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('backtest', sa.JSON(), nullable=False),
    sa.Column('jam_events', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_traffic_forecast_run'))
    )
    op.create_table('traffic_forecast',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('link_code', sa.String(length=40), nullable=False),
    sa.Column('horizon_min', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('target_time', sa.DateTime(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('lower', sa.Float(), nullable=False),
    sa.Column('upper', sa.Float(), nullable=False),
    sa.Column('model', sa.String(length=40), nullable=False),
    sa.Column('backtest_rmse', sa.Float(), nullable=True),
    sa.Column('baseline', sa.String(length=40), nullable=False),
    sa.Column('baseline_rmse', sa.Float(), nullable=True),
    sa.Column('candidates', sa.JSON(), nullable=False),
    sa.Column('congestion', sa.String(length=10), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_traffic_forecast')),
    sa.UniqueConstraint('link_code', 'horizon_min', name=op.f('uq_traffic_forecast_link_code'))
    )
    with op.batch_alter_table('traffic_forecast', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_traffic_forecast_link_code'), ['link_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_traffic_forecast_run_id'), ['run_id'], unique=False)

    op.create_table('traffic_jam_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('link_code', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expected_at', sa.DateTime(), nullable=False),
    sa.Column('speed', sa.Float(), nullable=False),
    sa.Column('horizon_min', sa.Integer(), nullable=False),
    sa.Column('event_ref', sa.String(length=60), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_traffic_jam_notice'))
    )
    with op.batch_alter_table('traffic_jam_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_traffic_jam_notice_link_code'), ['link_code'], unique=False)

    op.create_table('waste_scenario',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waste_scenario')),
    sa.UniqueConstraint('name', name=op.f('uq_waste_scenario_name'))
    )


def downgrade() -> None:
    op.drop_table('waste_scenario')
    with op.batch_alter_table('traffic_jam_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_traffic_jam_notice_link_code'))
    op.drop_table('traffic_jam_notice')
    with op.batch_alter_table('traffic_forecast', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_traffic_forecast_run_id'))
        batch_op.drop_index(batch_op.f('ix_traffic_forecast_link_code'))
    op.drop_table('traffic_forecast')
    op.drop_table('traffic_forecast_run')
