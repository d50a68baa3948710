"""conformance speed (reserved; filled by the work that needs it)

Revision ID: 0022_conformance_speed
Revises: 0021_dti
Create Date: 2026-12-07 03:30:00
"""

revision = '0022_conformance_speed'
down_revision = '0021_dti'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
