"""agency level in the indicator set and alerts: unit codes wide enough for agency codes

Revision ID: 0010_agency_units
Revises: 0009_dashboard
Create Date: 2026-11-26 06:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010_agency_units'
down_revision = '0009_dashboard'
branch_labels = None
depends_on = None

COLUMNS = [("indicator_value", "unit_code", False), ("alert_rule", "unit_code", True),
           ("alert_instance", "unit_code", False), ("alert_silence", "unit_code", True)]


def upgrade() -> None:
    for table, column, nullable in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, existing_type=sa.String(length=10), type_=sa.String(length=40),
                               existing_nullable=nullable)


def downgrade() -> None:
    for table, column, nullable in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, existing_type=sa.String(length=40), type_=sa.String(length=10),
                               existing_nullable=nullable)
