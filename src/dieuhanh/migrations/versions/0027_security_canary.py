"""security_canary (reserved; filled by the work that needs it)

Revision ID: 0027_security_canary
Revises: 0026_speed_ingest_search
Create Date: 2026-12-07 10:20:00
"""

revision = '0027_security_canary'
down_revision = '0026_speed_ingest_search'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
