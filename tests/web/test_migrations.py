"""The Alembic migrations build exactly the schema of web/models.py, and undo it."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from web.db import alembic_config, make_engine, upgrade
from web.models import Base


def test_migrated_schema_equals_the_models(app, db_url):
    """create_app migrated the database; autogenerate must find nothing left to do."""
    engine = make_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert MigrationContext.configure(conn).get_current_revision() == "0010"
    engine.dispose()
    assert diff == []


def test_upgrade_is_idempotent_and_downgrade_removes_everything(db_url):
    upgrade(db_url)
    upgrade(db_url)  # a restart migrates nothing twice
    engine = make_engine(db_url)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    command.downgrade(alembic_config(db_url), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()


def test_postgresql_is_tested_when_asked_for():
    """Says plainly (as a skip) when the PostgreSQL half of the suite is off."""
    from tests.support.web import postgres_url

    if postgres_url() is None:
        pytest.skip(
            "PostgreSQL runs not requested: set HAH_TEST_POSTGRES=1 (local server) or "
            "DATABASE_URL=postgresql://… to run every web test on PostgreSQL too"
        )
