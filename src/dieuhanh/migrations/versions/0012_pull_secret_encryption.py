"""ingest: pull source secrets encrypted at rest — mark the secrets stored in plain text as such

Revision ID: 0012_pull_secret_encryption
Revises: 0011_feedback_owner_key
Create Date: 2026-11-28 06:00:00

The secrets are sealed with a key derived from the application's SECRET_KEY (``ingest/guard.py``). A migration
only gets the database URL (``core.migrate.upgrade``), and guessing the key from the environment here could seal
with a key the running application does not use (a shell without DIEUHANH_SECRET_KEY, a ``secret_key`` file in
another DATA_DIR), which would lose every secret. So this revision only tags each plain-text secret
``plain:`` — unambiguous, whatever the secret looks like — and the application seals them with its own key when
its scheduler starts, or when the source runs or is saved (``pull.seal_legacy_secrets``).
"""
import base64
import binascii

import sqlalchemy as sa
from alembic import op

revision = '0012_pull_secret_encryption'
down_revision = '0011_feedback_owner_key'
branch_labels = None
depends_on = None

LEGACY = "plain:"
SEALED = "v1:"

pull_source = sa.table("pull_source", sa.column("id", sa.Integer), sa.column("auth_value", sa.Text))


def _sealed(value: str) -> bool:
    """A value sealed by the application (after a downgrade and a new upgrade): v1: + base64url ≥ 28 bytes."""
    if not value.startswith(SEALED):
        return False
    try:
        return len(base64.urlsafe_b64decode(value[len(SEALED):].encode("ascii"))) >= 28
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return False


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(pull_source.c.id, pull_source.c.auth_value)
                        .where(pull_source.c.auth_value.is_not(None))).all()
    for source_id, value in rows:
        if value and not _sealed(value):
            conn.execute(pull_source.update().where(pull_source.c.id == source_id)
                         .values(auth_value=LEGACY + value))


def downgrade() -> None:
    # Plain-text secrets get their value back; sealed ones cannot be opened without the key and stay as they
    # are (the old code would send them as they are, and the department refuses them): enter them again.
    conn = op.get_bind()
    rows = conn.execute(sa.select(pull_source.c.id, pull_source.c.auth_value)
                        .where(pull_source.c.auth_value.like(LEGACY + "%"))).all()
    for source_id, value in rows:
        conn.execute(pull_source.update().where(pull_source.c.id == source_id)
                     .values(auth_value=value[len(LEGACY):]))
