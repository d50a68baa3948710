"""ingest: pull sources and runs, MQTT subscriptions, dead letters; core: job runs

Revision ID: 0003_ingest_sources
Revises: 0002_catalog
Create Date: 2026-11-26 02:26:02.425957
"""
import sqlalchemy as sa
from alembic import op

revision = '0003_ingest_sources'
down_revision = '0002_catalog'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('job_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.String(length=120), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_run'))
    )
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_run_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_run_started_at'), ['started_at'], unique=False)

    op.create_table('mqtt_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('topic', sa.String(length=255), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('owner_agency', sa.String(length=40), nullable=False),
    sa.Column('field_map', sa.JSON(), nullable=False),
    sa.Column('batch_size', sa.Integer(), nullable=False),
    sa.Column('max_wait_seconds', sa.Float(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['dataset.id'], name=op.f('fk_mqtt_subscription_dataset_id_dataset'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_agency'], ['agency.code'], name=op.f('fk_mqtt_subscription_owner_agency_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mqtt_subscription')),
    sa.UniqueConstraint('name', name=op.f('uq_mqtt_subscription_name'))
    )
    with op.batch_alter_table('mqtt_subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mqtt_subscription_dataset_id'), ['dataset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mqtt_subscription_owner_agency'), ['owner_agency'], unique=False)

    op.create_table('pull_source',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('owner_agency', sa.String(length=40), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('auth_header', sa.String(length=120), nullable=True),
    sa.Column('auth_value', sa.Text(), nullable=True),
    sa.Column('pagination', sa.String(length=10), nullable=False),
    sa.Column('page_param', sa.String(length=60), nullable=True),
    sa.Column('size_param', sa.String(length=60), nullable=True),
    sa.Column('page_size', sa.Integer(), nullable=False),
    sa.Column('page_start', sa.Integer(), nullable=False),
    sa.Column('cursor_path', sa.String(length=200), nullable=True),
    sa.Column('records_path', sa.String(length=200), nullable=False),
    sa.Column('field_map', sa.JSON(), nullable=False),
    sa.Column('incremental_field', sa.String(length=120), nullable=True),
    sa.Column('incremental_param', sa.String(length=60), nullable=True),
    sa.Column('high_water_mark', sa.String(length=200), nullable=True),
    sa.Column('cron', sa.String(length=120), nullable=False),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('retries', sa.Integer(), nullable=False),
    sa.Column('backoff_seconds', sa.Float(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['dataset.id'], name=op.f('fk_pull_source_dataset_id_dataset'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_agency'], ['agency.code'], name=op.f('fk_pull_source_owner_agency_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pull_source')),
    sa.UniqueConstraint('name', name=op.f('uq_pull_source_name'))
    )
    with op.batch_alter_table('pull_source', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pull_source_dataset_id'), ['dataset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pull_source_owner_agency'), ['owner_agency'], unique=False)

    op.create_table('dead_letter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=True),
    sa.Column('topic', sa.String(length=255), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['subscription_id'], ['mqtt_subscription.id'], name=op.f('fk_dead_letter_subscription_id_mqtt_subscription'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dead_letter'))
    )
    with op.batch_alter_table('dead_letter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dead_letter_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_dead_letter_subscription_id'), ['subscription_id'], unique=False)

    op.create_table('pull_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('trigger', sa.String(length=10), nullable=False),
    sa.Column('triggered_by', sa.String(length=120), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.String(length=36), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('errors', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['source_id'], ['pull_source.id'], name=op.f('fk_pull_run_source_id_pull_source'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pull_run'))
    )
    with op.batch_alter_table('pull_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pull_run_source_id'), ['source_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pull_run_started_at'), ['started_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('pull_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pull_run_started_at'))
        batch_op.drop_index(batch_op.f('ix_pull_run_source_id'))

    op.drop_table('pull_run')
    with op.batch_alter_table('dead_letter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dead_letter_subscription_id'))
        batch_op.drop_index(batch_op.f('ix_dead_letter_received_at'))

    op.drop_table('dead_letter')
    with op.batch_alter_table('pull_source', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pull_source_owner_agency'))
        batch_op.drop_index(batch_op.f('ix_pull_source_dataset_id'))

    op.drop_table('pull_source')
    with op.batch_alter_table('mqtt_subscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mqtt_subscription_owner_agency'))
        batch_op.drop_index(batch_op.f('ix_mqtt_subscription_dataset_id'))

    op.drop_table('mqtt_subscription')
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_run_started_at'))
        batch_op.drop_index(batch_op.f('ix_job_run_job_id'))

    op.drop_table('job_run')
