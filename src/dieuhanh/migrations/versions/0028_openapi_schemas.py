"""openapi_schemas (reserved; filled by the work that needs it)

Revision ID: 0028_openapi_schemas
Revises: 0027_security_canary
Create Date: 2026-12-07 10:20:00
"""

revision = '0028_openapi_schemas'
down_revision = '0027_security_canary'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
