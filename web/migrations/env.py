"""Alembic environment: the URL comes from the caller (``web.db.upgrade``) or DATABASE_URL.

Logging is left alone (no ``fileConfig``) so that migrating from inside the app does not
reset the app's own logging. SQLite gets batch mode so later ALTERs work there too.

Two migrations at once (two ``hah db upgrade``, or several web processes starting on a fresh
database) wait for each other instead of both creating the tables: on PostgreSQL a
transaction-scoped advisory lock per schema taken before Alembic reads the current revision,
on SQLite an exclusive lock on a file beside the database (``web.db.migration_lock``).
"""

from __future__ import annotations

import os

from alembic import context

from web.db import make_engine, migration_lock, normalise_url
from web.models import Base

#: Held until the migration's transaction ends; keyed by schema so that databases sharing a
#: server (tests, one schema each) do not wait for one another.
PG_LOCK = "SELECT pg_advisory_xact_lock(hashtext('hah-migrate:' || current_schema()))"

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    url = url or os.environ.get("DATABASE_URL")
    if not url:
        raise RuntimeError("set DATABASE_URL (or call web.db.upgrade(url)) to migrate")
    return normalise_url(url)


def run_migrations_offline() -> None:
    """Emit SQL instead of running it (``alembic upgrade head --sql``)."""
    url = _url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = _url()
    engine = make_engine(url)
    with migration_lock(url), engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=url.startswith("sqlite"),
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(PG_LOCK)
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
