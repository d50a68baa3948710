"""search_open311_speed (reserved; filled by the work that needs it)

Revision ID: 0031_search_open311_speed
Revises: 0030_publicservices_speed
Create Date: 2026-12-07 14:00:00
"""

revision = '0031_search_open311_speed'
down_revision = '0030_publicservices_speed'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
