"""publicservices_speed (reserved; filled by the work that needs it)

Revision ID: 0030_publicservices_speed
Revises: 0029_speed_dispatch
Create Date: 2026-12-07 14:00:00
"""

revision = '0030_publicservices_speed'
down_revision = '0029_speed_dispatch'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
