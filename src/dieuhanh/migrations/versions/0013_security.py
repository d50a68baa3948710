"""security: server-side browser sessions (revoked at logout, absolute lifetime)

Revision ID: 0013_security
Revises: 0012_pull_secret_encryption
Create Date: 2026-12-07 03:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0013_security'
down_revision = '0012_pull_secret_encryption'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_session",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("revoked_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_user_session_user_id", "user_session", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_user_session_user_id", table_name="user_session")
    op.drop_table("user_session")
