"""pages_speed: the DTI data version row (``app_meta`` key ``dti.version``, see ``dieuhanh.dti.versions``)

Every write to a DTI row updates this row in its own transaction; creating it here means no two first writes can
both try to insert it.

Revision ID: 0030_pages_speed
Revises: 0029_speed_dispatch
Create Date: 2026-12-07 14:00:00
"""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0030_pages_speed'
down_revision = '0029_speed_dispatch'
branch_labels = None
depends_on = None

META = sa.table("app_meta", sa.column("key", sa.String), sa.column("value", sa.Text),
                sa.column("updated_at", sa.DateTime))


def upgrade() -> None:
    conn = op.get_bind()
    if conn.execute(sa.select(META.c.key).where(META.c.key == "dti.version")).first() is None:
        conn.execute(sa.insert(META).values(key="dti.version", value=uuid.uuid4().hex,
                                            updated_at=datetime.now(UTC).replace(tzinfo=None)))


def downgrade() -> None:
    op.get_bind().execute(sa.delete(META).where(META.c.key == "dti.version"))
