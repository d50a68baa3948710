"""speed_dispatch (reserved; filled by the work that needs it)

Revision ID: 0029_speed_dispatch
Revises: 0028_openapi_schemas
Create Date: 2026-12-07 10:25:00
"""

revision = '0029_speed_dispatch'
down_revision = '0028_openapi_schemas'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
