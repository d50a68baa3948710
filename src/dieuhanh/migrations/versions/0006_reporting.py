"""reporting: report types, assignments, submissions, reminders

Revision ID: 0006_reporting
Revises: 0005_alerts
Create Date: 2026-11-26 06:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0006_reporting'
down_revision = '0005_alerts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('report_type',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('periodicity', sa.String(length=10), nullable=False),
    sa.Column('due_day', sa.Integer(), nullable=False),
    sa.Column('dataset', sa.String(length=63), nullable=False),
    sa.Column('layout', sa.String(length=10), nullable=False),
    sa.Column('table_header_row', sa.Integer(), nullable=True),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_type')),
    sa.UniqueConstraint('code', name=op.f('uq_report_type_code'))
    )
    op.create_table('report_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_type_id', sa.Integer(), nullable=False),
    sa.Column('agency_code', sa.String(length=40), nullable=False),
    sa.Column('from_period', sa.String(length=10), nullable=False),
    sa.Column('due_day', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_report_assignment_agency_code_agency')),
    sa.ForeignKeyConstraint(['report_type_id'], ['report_type.id'],
                            name=op.f('fk_report_assignment_report_type_id_report_type'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_assignment')),
    sa.UniqueConstraint('report_type_id', 'agency_code', name=op.f('uq_report_assignment_report_type_id'))
    )
    with op.batch_alter_table('report_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_assignment_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_assignment_report_type_id'), ['report_type_id'], unique=False)

    op.create_table('report_submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_type_id', sa.Integer(), nullable=False),
    sa.Column('agency_code', sa.String(length=40), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_by', sa.String(length=120), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=True),
    sa.Column('batch_id', sa.String(length=36), nullable=True),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('days_late', sa.Integer(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_report_submission_agency_code_agency')),
    sa.ForeignKeyConstraint(['report_type_id'], ['report_type.id'],
                            name=op.f('fk_report_submission_report_type_id_report_type'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_submission'))
    )
    with op.batch_alter_table('report_submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_submission_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_submission_period'), ['period'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_submission_report_type_id'), ['report_type_id'], unique=False)

    op.create_table('report_reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_type_id', sa.Integer(), nullable=False),
    sa.Column('agency_code', sa.String(length=40), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('channels', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_report_reminder_agency_code_agency')),
    sa.ForeignKeyConstraint(['report_type_id'], ['report_type.id'],
                            name=op.f('fk_report_reminder_report_type_id_report_type'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_reminder')),
    sa.UniqueConstraint('report_type_id', 'agency_code', 'period', 'kind',
                        name=op.f('uq_report_reminder_report_type_id'))
    )
    with op.batch_alter_table('report_reminder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_reminder_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_reminder_report_type_id'), ['report_type_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('report_reminder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_reminder_report_type_id'))
        batch_op.drop_index(batch_op.f('ix_report_reminder_agency_code'))
    op.drop_table('report_reminder')
    with op.batch_alter_table('report_submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_submission_report_type_id'))
        batch_op.drop_index(batch_op.f('ix_report_submission_period'))
        batch_op.drop_index(batch_op.f('ix_report_submission_agency_code'))
    op.drop_table('report_submission')
    with op.batch_alter_table('report_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_assignment_report_type_id'))
        batch_op.drop_index(batch_op.f('ix_report_assignment_agency_code'))
    op.drop_table('report_assignment')
    op.drop_table('report_type')
