"""Database plumbing: one engine per URL, a session per request, the schema via Alembic.

No Flask here either: the solve worker (another process) and the CLI open the same database
with ``Database(url)``. The schema is only ever created by ``upgrade(url)`` (Alembic's
``upgrade head``), never by ``metadata.create_all``, so a database made by the app and one
made by ``alembic upgrade`` are the same and later migrations apply to both.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

_Row = TypeVar("_Row")


def normalise_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 (the only driver installed)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> Engine:
    """An engine with the settings each backend needs for a web app plus a worker process.

    SQLite: WAL so a page can read while the solve worker writes its progress, a busy
    timeout instead of instant "database is locked", and foreign keys switched on.
    """
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def get_or_fail(session: Session, model: type[_Row], ident: Any) -> _Row:
    """``session.get(model, ident)`` for a row that must exist (one a foreign key points at,
    or one made earlier in the same transaction); raises ``LookupError`` if it does not.

    Not for ids that come from a request: a view answers 404 for those.
    """
    row = session.get(model, ident)
    if row is None:
        raise LookupError(f"{model.__name__} {ident!r} does not exist")
    return row


class Database:
    """An engine and its session factory for one URL."""

    def __init__(self, url: str):
        self.url = normalise_url(url)
        self.engine = make_engine(self.url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Session:
        return self.sessions()

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str):
    """Alembic's configuration built in code, so the app needs no alembic.ini at run time.

    The URL goes in ``attributes`` rather than ``sqlalchemy.url`` because the ini parser would
    treat a ``%`` in a password as interpolation.
    """
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["url"] = normalise_url(url)
    return cfg


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for another backend or an in-memory database)."""
    url = normalise_url(url)
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[-1].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


@contextmanager
def migration_lock(url: str) -> Iterator[None]:
    """One migration at a time on a SQLite file: an exclusive ``flock`` on
    ``<database>.migrate-lock`` (PostgreSQL's lock is taken in the migration's own
    transaction, ``web/migrations/env.py``). Released when the migration ends, or its
    process dies."""
    path = sqlite_path(url)
    if path is None:
        yield
        return
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{path}.migrate-lock", "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def upgrade(url: str) -> None:
    """``alembic upgrade head`` on ``url``: creates the schema on first start, migrates later.
    Safe to run from several processes at once: the second waits and then finds nothing to do.
    """
    from alembic import command

    command.upgrade(alembic_config(url), "head")


def current_revision(url: str) -> str | None:
    """The database's Alembic revision (None before the first migration)."""
    from alembic.migration import MigrationContext

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    """The newest revision the code knows."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
