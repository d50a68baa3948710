"""documents: incoming documents, their files, assignments, history and routing models

Revision ID: 0018_documents
Revises: 0017_environment
Create Date: 2026-12-07 03:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0018_documents'
down_revision = '0017_environment'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('document_routing_model',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trained_at', sa.DateTime(), nullable=False),
    sa.Column('trained_by', sa.String(length=160), nullable=False),
    sa.Column('examples', sa.Integer(), nullable=False),
    sa.Column('last_document_id', sa.Integer(), nullable=False),
    sa.Column('classes', sa.JSON(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('lead_model', sa.LargeBinary(), nullable=False),
    sa.Column('coop_model', sa.LargeBinary(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_routing_model'))
    )
    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('arrival_number', sa.Integer(), nullable=False),
    sa.Column('arrival_date', sa.Date(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('code_number', sa.String(length=20), nullable=True),
    sa.Column('code_notation', sa.String(length=60), nullable=True),
    sa.Column('doc_type', sa.String(length=8), nullable=True),
    sa.Column('organ_name', sa.String(length=300), nullable=True),
    sa.Column('organ_key', sa.String(length=300), nullable=True),
    sa.Column('issued_place', sa.String(length=100), nullable=True),
    sa.Column('issued_date', sa.Date(), nullable=True),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('priority', sa.String(length=12), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('to_places', sa.JSON(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('input_kind', sa.String(length=10), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('entities', sa.JSON(), nullable=False),
    sa.Column('deadlines', sa.JSON(), nullable=False),
    sa.Column('references', sa.JSON(), nullable=False),
    sa.Column('provided', sa.JSON(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('api_token_id', sa.Integer(), nullable=True),
    sa.Column('duplicate_of_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('suggestions', sa.JSON(), nullable=False),
    sa.Column('suggestion_confidence', sa.Float(), nullable=True),
    sa.Column('suggestion_model_id', sa.Integer(), nullable=True),
    sa.Column('needs_review', sa.Boolean(), nullable=False),
    sa.Column('lead_agency_code', sa.String(length=40), nullable=True),
    sa.Column('assigned_at', sa.DateTime(), nullable=True),
    sa.Column('assigned_by', sa.String(length=160), nullable=True),
    sa.Column('instruction', sa.Text(), nullable=True),
    sa.Column('handling_due', sa.Date(), nullable=True),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['api_token_id'], ['api_token.id'], name=op.f('fk_document_api_token_id_api_token'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['document.id'], name=op.f('fk_document_duplicate_of_id_document'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lead_agency_code'], ['agency.code'], name=op.f('fk_document_lead_agency_code_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document'))
    )
    op.create_index(op.f('ix_document_arrival_date'), 'document', ['arrival_date'], unique=False)
    op.create_index(op.f('ix_document_arrival_number'), 'document', ['arrival_number'], unique=False)
    op.create_index(op.f('ix_document_code_notation'), 'document', ['code_notation'], unique=False)
    op.create_index(op.f('ix_document_code_number'), 'document', ['code_number'], unique=False)
    op.create_index(op.f('ix_document_completed_at'), 'document', ['completed_at'], unique=False)
    op.create_index(op.f('ix_document_doc_type'), 'document', ['doc_type'], unique=False)
    op.create_index(op.f('ix_document_due_date'), 'document', ['due_date'], unique=False)
    op.create_index(op.f('ix_document_duplicate_of_id'), 'document', ['duplicate_of_id'], unique=False)
    op.create_index(op.f('ix_document_handling_due'), 'document', ['handling_due'], unique=False)
    op.create_index(op.f('ix_document_lead_agency_code'), 'document', ['lead_agency_code'], unique=False)
    op.create_index(op.f('ix_document_needs_review'), 'document', ['needs_review'], unique=False)
    op.create_index(op.f('ix_document_organ_key'), 'document', ['organ_key'], unique=False)
    op.create_index(op.f('ix_document_status'), 'document', ['status'], unique=False)
    op.create_index(op.f('ix_document_updated_at'), 'document', ['updated_at'], unique=False)
    op.create_table('document_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('agency_code', sa.String(length=40), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('suggested_confidence', sa.Float(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_document_assignment_agency_code_agency')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_document_assignment_document_id_document'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_assignment')),
    sa.UniqueConstraint('document_id', 'agency_code', name=op.f('uq_document_assignment_document_id'))
    )
    op.create_index(op.f('ix_document_assignment_agency_code'), 'document_assignment', ['agency_code'], unique=False)
    op.create_index(op.f('ix_document_assignment_document_id'), 'document_assignment', ['document_id'], unique=False)
    op.create_table('document_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=160), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('agency_code', sa.String(length=20), nullable=True),
    sa.Column('progress', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_document_event_document_id_document'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_event'))
    )
    op.create_index(op.f('ix_document_event_document_id'), 'document_event', ['document_id'], unique=False)
    op.create_table('document_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_document_file_document_id_document'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_file')),
    sa.UniqueConstraint('document_id', name=op.f('uq_document_file_document_id'))
    )
    op.create_index(op.f('ix_document_file_sha256'), 'document_file', ['sha256'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_document_file_sha256'), table_name='document_file')
    op.drop_table('document_file')
    op.drop_index(op.f('ix_document_event_document_id'), table_name='document_event')
    op.drop_table('document_event')
    op.drop_index(op.f('ix_document_assignment_document_id'), table_name='document_assignment')
    op.drop_index(op.f('ix_document_assignment_agency_code'), table_name='document_assignment')
    op.drop_table('document_assignment')
    op.drop_index(op.f('ix_document_updated_at'), table_name='document')
    op.drop_index(op.f('ix_document_status'), table_name='document')
    op.drop_index(op.f('ix_document_organ_key'), table_name='document')
    op.drop_index(op.f('ix_document_needs_review'), table_name='document')
    op.drop_index(op.f('ix_document_lead_agency_code'), table_name='document')
    op.drop_index(op.f('ix_document_handling_due'), table_name='document')
    op.drop_index(op.f('ix_document_duplicate_of_id'), table_name='document')
    op.drop_index(op.f('ix_document_due_date'), table_name='document')
    op.drop_index(op.f('ix_document_doc_type'), table_name='document')
    op.drop_index(op.f('ix_document_completed_at'), table_name='document')
    op.drop_index(op.f('ix_document_code_number'), table_name='document')
    op.drop_index(op.f('ix_document_code_notation'), table_name='document')
    op.drop_index(op.f('ix_document_arrival_number'), table_name='document')
    op.drop_index(op.f('ix_document_arrival_date'), table_name='document')
    op.drop_table('document')
    op.drop_table('document_routing_model')
