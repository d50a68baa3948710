"""dti: scoring frameworks, yearly campaigns with unit forms, answers, evidence files; governance indices

Revision ID: 0021_dti
Revises: 0020_forecasting
Create Date: 2026-12-07 03:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0021_dti'
down_revision = '0020_forecasting'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dti_framework',
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('origin', sa.String(length=120), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_dti_framework'))
    )
    op.create_table('governance_index',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('index', sa.String(length=10), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('province_code', sa.String(length=10), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('rank_of', sa.Integer(), nullable=True),
    sa.Column('components', sa.JSON(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('demo', sa.Boolean(), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_governance_index')),
    sa.UniqueConstraint('index', 'year', 'province_code', name=op.f('uq_governance_index_index'))
    )
    with op.batch_alter_table('governance_index', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_governance_index_index'), ['index'], unique=False)
        batch_op.create_index(batch_op.f('ix_governance_index_province_code'), ['province_code'], unique=False)

    op.create_table('dti_campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('framework_code', sa.String(length=60), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('demo', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['framework_code'], ['dti_framework.code'], name=op.f('fk_dti_campaign_framework_code_dti_framework')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dti_campaign')),
    sa.UniqueConstraint('framework_code', 'year', name=op.f('uq_dti_campaign_framework_code'))
    )
    with op.batch_alter_table('dti_campaign', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dti_campaign_framework_code'), ['framework_code'], unique=False)

    op.create_table('dti_form',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('agency_code', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('submitted_by', sa.String(length=120), nullable=True),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_dti_form_agency_code_agency')),
    sa.ForeignKeyConstraint(['campaign_id'], ['dti_campaign.id'], name=op.f('fk_dti_form_campaign_id_dti_campaign')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dti_form')),
    sa.UniqueConstraint('campaign_id', 'agency_code', name=op.f('uq_dti_form_campaign_id'))
    )
    with op.batch_alter_table('dti_form', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dti_form_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_dti_form_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('dti_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('sub_code', sa.String(length=40), nullable=False),
    sa.Column('automatic', sa.Boolean(), nullable=False),
    sa.Column('value', sa.JSON(), nullable=True),
    sa.Column('source_text', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('review_state', sa.String(length=16), nullable=False),
    sa.Column('review_score', sa.Float(), nullable=True),
    sa.Column('review_comment', sa.Text(), nullable=False),
    sa.Column('reviewed_by', sa.String(length=120), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.Column('updated_by', sa.String(length=120), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['form_id'], ['dti_form.id'], name=op.f('fk_dti_answer_form_id_dti_form')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dti_answer')),
    sa.UniqueConstraint('form_id', 'sub_code', name=op.f('uq_dti_answer_form_id'))
    )
    with op.batch_alter_table('dti_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dti_answer_form_id'), ['form_id'], unique=False)

    op.create_table('dti_evidence_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('answer_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=120), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by', sa.String(length=120), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['answer_id'], ['dti_answer.id'], name=op.f('fk_dti_evidence_file_answer_id_dti_answer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dti_evidence_file'))
    )
    with op.batch_alter_table('dti_evidence_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dti_evidence_file_answer_id'), ['answer_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('dti_evidence_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dti_evidence_file_answer_id'))

    op.drop_table('dti_evidence_file')
    with op.batch_alter_table('dti_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dti_answer_form_id'))

    op.drop_table('dti_answer')
    with op.batch_alter_table('dti_form', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dti_form_campaign_id'))
        batch_op.drop_index(batch_op.f('ix_dti_form_agency_code'))

    op.drop_table('dti_form')
    with op.batch_alter_table('dti_campaign', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dti_campaign_framework_code'))

    op.drop_table('dti_campaign')
    with op.batch_alter_table('governance_index', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_governance_index_province_code'))
        batch_op.drop_index(batch_op.f('ix_governance_index_index'))

    op.drop_table('governance_index')
    op.drop_table('dti_framework')
