"""speed_dispatch: an index on indicator values by (code, unit, period) — a board's tiles for one unit and an
indicator's series for one commune seek instead of scanning every period and commune (issue 24)

Revision ID: 0029_speed_dispatch
Revises: 0028_openapi_schemas
Create Date: 2026-12-07 10:25:00
"""

from alembic import op

revision = '0029_speed_dispatch'
down_revision = '0028_openapi_schemas'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_indicator_value_code_unit_period", "indicator_value", ["code", "unit_code", "period"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_indicator_value_code_unit_period", table_name="indicator_value")
