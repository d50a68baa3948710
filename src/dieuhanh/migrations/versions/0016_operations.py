"""operations: event types, events, cameras, sensors, event feeds, procedures and their steps, incidents with
steps, timeline and photos, incident rules, notification subscriptions

Revision ID: 0016_operations
Revises: 0015_qd766_complete
Create Date: 2026-12-07 03:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0016_operations'
down_revision = '0015_qd766_complete'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ops_event_type',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('group', sa.String(length=20), nullable=False),
    sa.Column('default_severity', sa.String(length=10), nullable=False),
    sa.Column('incident_type', sa.String(length=40), nullable=True),
    sa.Column('color', sa.String(length=9), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_ops_event_type'))
    )
    op.create_table('ops_procedure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('incident_type', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('escalation', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ops_procedure')),
    sa.UniqueConstraint('code', name=op.f('uq_ops_procedure_code'))
    )
    with op.batch_alter_table('ops_procedure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ops_procedure_incident_type'), ['incident_type'], unique=False)

    op.create_table('ops_camera',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('unit_code', sa.String(length=10), nullable=True),
    sa.Column('address', sa.String(length=500), nullable=True),
    sa.Column('owner_agency', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('vendor', sa.String(length=60), nullable=False),
    sa.Column('stream_url', sa.String(length=1000), nullable=True),
    sa.Column('snapshot_url', sa.String(length=1000), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('last_heartbeat_at', sa.DateTime(), nullable=True),
    sa.Column('offline_after_seconds', sa.Integer(), nullable=False),
    sa.Column('snapshot_path', sa.String(length=255), nullable=True),
    sa.Column('snapshot_at', sa.DateTime(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_agency'], ['agency.code'], name=op.f('fk_ops_camera_owner_agency_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ops_camera')),
    sa.UniqueConstraint('code', name=op.f('uq_ops_camera_code'))
    )
    with op.batch_alter_table('ops_camera', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ops_camera_owner_agency'), ['owner_agency'], unique=False)
        batch_op.create_index(batch_op.f('ix_ops_camera_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_ops_camera_unit_code'), ['unit_code'], unique=False)

    op.create_table('ops_event_feed',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('topic', sa.String(length=255), nullable=True),
    sa.Column('source', sa.String(length=60), nullable=False),
    sa.Column('owner_agency', sa.String(length=40), nullable=True),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('type_map', sa.JSON(), nullable=False),
    sa.Column('severity_map', sa.JSON(), nullable=False),
    sa.Column('defaults', sa.JSON(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_at', sa.DateTime(), nullable=True),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_agency'], ['agency.code'], name=op.f('fk_ops_event_feed_owner_agency_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ops_event_feed')),
    sa.UniqueConstraint('slug', name=op.f('uq_ops_event_feed_slug'))
    )
    with op.batch_alter_table('ops_event_feed', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ops_event_feed_owner_agency'), ['owner_agency'], unique=False)

    op.create_table('ops_incident_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('event_type', sa.String(length=40), nullable=False),
    sa.Column('min_severity', sa.String(length=10), nullable=False),
    sa.Column('min_count', sa.Integer(), nullable=False),
    sa.Column('window_minutes', sa.Integer(), nullable=False),
    sa.Column('radius_m', sa.Integer(), nullable=False),
    sa.Column('incident_type', sa.String(length=40), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_type'], ['ops_event_type.code'], name=op.f('fk_ops_incident_rule_event_type_ops_event_type')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ops_incident_rule'))
    )
    with op.batch_alter_table('ops_incident_rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ops_incident_rule_event_type'), ['event_type'], unique=False)

    op.create_table('ops_notify_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=True),
    sa.Column('agency_code', sa.String(length=40), nullable=True),
    sa.Column('kinds', sa.JSON(), nullable=False),
    sa.Column('types', sa.JSON(), nullable=False),
    sa.Column('min_severity', sa.String(length=10), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('target', sa.String(length=500), nullable=True),
    sa.Column('quiet_start', sa.String(length=5), nullable=True),
    sa.Column('quiet_end', sa.String(length=5), nullable=True),
    sa.Column('quiet_allow_critical', sa.Boolean(), nullable=False),
    sa.Column('repeat_minutes', sa.Integer(), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_ops_notify_rule_agency_code_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ops_notify_rule'))
    )
    with op.batch_alter_table('ops_notify_rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ops_notify_rule_agency_code'), ['agency_code'], unique=False)

    op.create_table('ops_procedure_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('procedure_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('agency_code', sa.String(length=40), nullable=True),
    sa.Column('time_limit_minutes', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_ops_procedure_step_agency_code_agency')),
    sa.ForeignKeyConstraint(['procedure_id'], ['ops_procedure.id'], name=op.f('fk_ops_procedure_step_procedure_id_ops_procedure'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ops_procedure_step'))
    )
    with op.batch_alter_table('ops_procedure_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ops_procedure_step_procedure_id'), ['procedure_id'], unique=False)

    op.create_table('ops_sensor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('unit_code', sa.String(length=10), nullable=True),
    sa.Column('address', sa.String(length=500), nullable=True),
    sa.Column('owner_agency', sa.String(length=40), nullable=False),
    sa.Column('river', sa.String(length=120), nullable=True),
    sa.Column('levels', sa.JSON(), nullable=False),
    sa.Column('value_unit', sa.String(length=20), nullable=False),
    sa.Column('last_value', sa.Float(), nullable=True),
    sa.Column('last_at', sa.DateTime(), nullable=True),
    sa.Column('alarm_level', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_agency'], ['agency.code'], name=op.f('fk_ops_sensor_owner_agency_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ops_sensor')),
    sa.UniqueConstraint('code', name=op.f('uq_ops_sensor_code'))
    )
    with op.batch_alter_table('ops_sensor', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ops_sensor_owner_agency'), ['owner_agency'], unique=False)
        batch_op.create_index(batch_op.f('ix_ops_sensor_unit_code'), ['unit_code'], unique=False)

    op.create_table('ops_incident',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('procedure_id', sa.Integer(), nullable=True),
    sa.Column('procedure_name', sa.String(length=200), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('unit_code', sa.String(length=10), nullable=True),
    sa.Column('address', sa.String(length=500), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('agency_code', sa.String(length=40), nullable=True),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=120), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_by', sa.String(length=120), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('result', sa.Text(), nullable=True),
    sa.Column('escalation_level', sa.Integer(), nullable=False),
    sa.Column('next_escalation_at', sa.DateTime(), nullable=True),
    sa.Column('last_notified_at', sa.DateTime(), nullable=True),
    sa.Column('rule_id', sa.Integer(), nullable=True),
    sa.Column('demo', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_ops_incident_agency_code_agency')),
    sa.ForeignKeyConstraint(['procedure_id'], ['ops_procedure.id'], name=op.f('fk_ops_incident_procedure_id_ops_procedure'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['rule_id'], ['ops_incident_rule.id'], name=op.f('fk_ops_incident_rule_id_ops_incident_rule'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ops_incident')),
    sa.UniqueConstraint('code', name=op.f('uq_ops_incident_code'))
    )
    with op.batch_alter_table('ops_incident', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ops_incident_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_ops_incident_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ops_incident_next_escalation_at'), ['next_escalation_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ops_incident_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_ops_incident_type'), ['type'], unique=False)
        batch_op.create_index(batch_op.f('ix_ops_incident_unit_code'), ['unit_code'], unique=False)

    op.create_table('ops_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=60), nullable=False),
    sa.Column('source_event_id', sa.String(length=120), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('unit_code', sa.String(length=10), nullable=True),
    sa.Column('address', sa.String(length=500), nullable=True),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('agency_code', sa.String(length=40), nullable=True),
    sa.Column('camera_id', sa.Integer(), nullable=True),
    sa.Column('sensor_id', sa.Integer(), nullable=True),
    sa.Column('device', sa.String(length=120), nullable=True),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('demo', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_ops_event_agency_code_agency')),
    sa.ForeignKeyConstraint(['camera_id'], ['ops_camera.id'], name=op.f('fk_ops_event_camera_id_ops_camera'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['incident_id'], ['ops_incident.id'], name=op.f('fk_ops_event_incident_id_ops_incident'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['sensor_id'], ['ops_sensor.id'], name=op.f('fk_ops_event_sensor_id_ops_sensor'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['type'], ['ops_event_type.code'], name=op.f('fk_ops_event_type_ops_event_type')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ops_event')),
    sa.UniqueConstraint('source', 'source_event_id', name=op.f('uq_ops_event_source'))
    )
    with op.batch_alter_table('ops_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ops_event_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_ops_event_camera_id'), ['camera_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ops_event_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ops_event_occurred_at'), ['occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ops_event_sensor_id'), ['sensor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ops_event_severity'), ['severity'], unique=False)
        batch_op.create_index(batch_op.f('ix_ops_event_status'), ['status'], unique=False)
        batch_op.create_index('ix_ops_event_type_occurred', ['type', 'occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ops_event_unit_code'), ['unit_code'], unique=False)

    op.create_table('ops_incident_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('step', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['ops_incident.id'], name=op.f('fk_ops_incident_log_incident_id_ops_incident'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ops_incident_log'))
    )
    with op.batch_alter_table('ops_incident_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ops_incident_log_incident_id'), ['incident_id'], unique=False)

    op.create_table('ops_incident_photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.Integer(), nullable=True),
    sa.Column('path', sa.String(length=255), nullable=False),
    sa.Column('thumb_path', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['ops_incident.id'], name=op.f('fk_ops_incident_photo_incident_id_ops_incident'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ops_incident_photo'))
    )
    with op.batch_alter_table('ops_incident_photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ops_incident_photo_incident_id'), ['incident_id'], unique=False)

    op.create_table('ops_incident_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('agency_code', sa.String(length=40), nullable=True),
    sa.Column('time_limit_minutes', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('due_at', sa.DateTime(), nullable=True),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.Column('done_by', sa.String(length=120), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('escalated', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['ops_incident.id'], name=op.f('fk_ops_incident_step_incident_id_ops_incident'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ops_incident_step'))
    )
    with op.batch_alter_table('ops_incident_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ops_incident_step_incident_id'), ['incident_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('ops_incident_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ops_incident_step_incident_id'))

    op.drop_table('ops_incident_step')
    with op.batch_alter_table('ops_incident_photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ops_incident_photo_incident_id'))

    op.drop_table('ops_incident_photo')
    with op.batch_alter_table('ops_incident_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ops_incident_log_incident_id'))

    op.drop_table('ops_incident_log')
    with op.batch_alter_table('ops_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ops_event_unit_code'))
        batch_op.drop_index('ix_ops_event_type_occurred')
        batch_op.drop_index(batch_op.f('ix_ops_event_status'))
        batch_op.drop_index(batch_op.f('ix_ops_event_severity'))
        batch_op.drop_index(batch_op.f('ix_ops_event_sensor_id'))
        batch_op.drop_index(batch_op.f('ix_ops_event_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_ops_event_incident_id'))
        batch_op.drop_index(batch_op.f('ix_ops_event_camera_id'))
        batch_op.drop_index(batch_op.f('ix_ops_event_agency_code'))

    op.drop_table('ops_event')
    with op.batch_alter_table('ops_incident', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ops_incident_unit_code'))
        batch_op.drop_index(batch_op.f('ix_ops_incident_type'))
        batch_op.drop_index(batch_op.f('ix_ops_incident_state'))
        batch_op.drop_index(batch_op.f('ix_ops_incident_next_escalation_at'))
        batch_op.drop_index(batch_op.f('ix_ops_incident_created_at'))
        batch_op.drop_index(batch_op.f('ix_ops_incident_agency_code'))

    op.drop_table('ops_incident')
    with op.batch_alter_table('ops_sensor', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ops_sensor_unit_code'))
        batch_op.drop_index(batch_op.f('ix_ops_sensor_owner_agency'))

    op.drop_table('ops_sensor')
    with op.batch_alter_table('ops_procedure_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ops_procedure_step_procedure_id'))

    op.drop_table('ops_procedure_step')
    with op.batch_alter_table('ops_notify_rule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ops_notify_rule_agency_code'))

    op.drop_table('ops_notify_rule')
    with op.batch_alter_table('ops_incident_rule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ops_incident_rule_event_type'))

    op.drop_table('ops_incident_rule')
    with op.batch_alter_table('ops_event_feed', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ops_event_feed_owner_agency'))

    op.drop_table('ops_event_feed')
    with op.batch_alter_table('ops_camera', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ops_camera_unit_code'))
        batch_op.drop_index(batch_op.f('ix_ops_camera_status'))
        batch_op.drop_index(batch_op.f('ix_ops_camera_owner_agency'))

    op.drop_table('ops_camera')
    with op.batch_alter_table('ops_procedure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ops_procedure_incident_type'))

    op.drop_table('ops_procedure')
    op.drop_table('ops_event_type')
