"""inspections: enterprise register, agencies' plans and visits, match decisions, proposals, the year's plan

Revision ID: 0019_inspections
Revises: 0018_documents
Create Date: 2026-12-07 03:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0019_inspections'
down_revision = '0018_documents'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('inspection_enterprise',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tax_code', sa.String(length=14), nullable=True),
    sa.Column('parent_tax_code', sa.String(length=10), nullable=True),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('address', sa.String(length=400), nullable=False),
    sa.Column('unit_code', sa.String(length=10), nullable=True),
    sa.Column('legal_rep', sa.String(length=120), nullable=False),
    sa.Column('sector', sa.String(length=120), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_enterprise')),
    sa.UniqueConstraint('tax_code', name=op.f('uq_inspection_enterprise_tax_code'))
    )
    with op.batch_alter_table('inspection_enterprise', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_enterprise_parent_tax_code'), ['parent_tax_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_enterprise_unit_code'), ['unit_code'], unique=False)

    op.create_table('inspection_match_decision',
    sa.Column('record_key', sa.String(length=200), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=10), nullable=False),
    sa.Column('decided_by', sa.String(length=160), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('record_key', name=op.f('pk_inspection_match_decision'))
    )
    op.create_table('inspection_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_code', sa.String(length=40), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('submitted_by', sa.String(length=160), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('capacity_per_month', sa.Integer(), nullable=True),
    sa.Column('blackout_months', sa.JSON(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_plan')),
    sa.UniqueConstraint('agency_code', 'year', name=op.f('uq_inspection_plan_agency_code'))
    )
    with op.batch_alter_table('inspection_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_plan_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_plan_year'), ['year'], unique=False)

    op.create_table('inspection_proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=160), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('conflicts_before', sa.Integer(), nullable=False),
    sa.Column('conflicts_after', sa.Integer(), nullable=False),
    sa.Column('workload', sa.JSON(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_proposal'))
    )
    with op.batch_alter_table('inspection_proposal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_proposal_year'), ['year'], unique=False)

    op.create_table('inspection_year_plan',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('signed_by', sa.String(length=160), nullable=True),
    sa.Column('signed_at', sa.DateTime(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_inspection_year_plan'))
    )
    op.create_table('inspection_visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('agency_code', sa.String(length=40), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('row_no', sa.Integer(), nullable=False),
    sa.Column('tax_code', sa.String(length=14), nullable=True),
    sa.Column('enterprise_name', sa.String(length=300), nullable=False),
    sa.Column('address', sa.String(length=400), nullable=False),
    sa.Column('legal_rep', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('content_code', sa.String(length=20), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('lead_agency', sa.String(length=40), nullable=False),
    sa.Column('participants', sa.JSON(), nullable=False),
    sa.Column('violation_signs', sa.Boolean(), nullable=False),
    sa.Column('basis_document', sa.String(length=200), nullable=True),
    sa.Column('remote', sa.Boolean(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('match_status', sa.String(length=10), nullable=False),
    sa.Column('match_score', sa.Float(), nullable=True),
    sa.Column('candidate_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('final_month', sa.Integer(), nullable=False),
    sa.Column('merged_with_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['enterprise_id'], ['inspection_enterprise.id'], name=op.f('fk_inspection_visit_enterprise_id_inspection_enterprise')),
    sa.ForeignKeyConstraint(['plan_id'], ['inspection_plan.id'], name=op.f('fk_inspection_visit_plan_id_inspection_plan'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_visit'))
    )
    with op.batch_alter_table('inspection_visit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_visit_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_visit_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_visit_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_visit_year'), ['year'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('inspection_visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_visit_year'))
        batch_op.drop_index(batch_op.f('ix_inspection_visit_plan_id'))
        batch_op.drop_index(batch_op.f('ix_inspection_visit_enterprise_id'))
        batch_op.drop_index(batch_op.f('ix_inspection_visit_agency_code'))

    op.drop_table('inspection_visit')
    op.drop_table('inspection_year_plan')
    with op.batch_alter_table('inspection_proposal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_proposal_year'))

    op.drop_table('inspection_proposal')
    with op.batch_alter_table('inspection_plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_plan_year'))
        batch_op.drop_index(batch_op.f('ix_inspection_plan_agency_code'))

    op.drop_table('inspection_plan')
    op.drop_table('inspection_match_decision')
    with op.batch_alter_table('inspection_enterprise', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_enterprise_unit_code'))
        batch_op.drop_index(batch_op.f('ix_inspection_enterprise_parent_tax_code'))

    op.drop_table('inspection_enterprise')
