"""Migrations run up from an empty database on both SQLite and PostgreSQL and match the models."""

import uuid

import pytest
from alembic import command
from sqlalchemy import inspect

from dieuhanh.core.db import Database
from dieuhanh.core.migrate import alembic_config, upgrade


@pytest.fixture
def empty_database_url(store_kind, tmp_path, request):
    if store_kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    import psycopg

    base = request.getfixturevalue("pg_database").rsplit("/", 1)[0]
    admin = base.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    name = f"migr_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{base}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_migrations_run_up_from_empty_and_match_the_models(empty_database_url):
    db = Database(empty_database_url)
    try:
        assert inspect(db.engine).get_table_names() == []
        upgrade(db.engine)
        tables = set(inspect(db.engine).get_table_names())
        assert {"admin_unit", "agency", "app_user", "api_token", "audit_entry", "app_meta",
                "alembic_version"} <= tables
        # Autogenerate finds nothing left to migrate: every model change has its revision.
        with db.engine.connect() as conn:
            cfg = alembic_config(empty_database_url)
            cfg.attributes["connection"] = conn
            command.check(cfg)
        upgrade(db.engine)  # running again is a no-op
    finally:
        db.dispose()
