"""What ``hah users add|list|disable|enable|reset|sign-out`` do to the web app (their
arguments are parsed in ``scheduler.cli.web``; ``hah serve`` is ``web.serving``).

The app runs behind a reverse proxy with TLS, since the session cookie is Secure by default
(``HAH_SECURE_COOKIES=0`` to try it over plain http on a laptop). ``users_add`` is how the
first admin and every account are made: there is no self-registration in a clinical system.
The others go through ``web.services.accounts``, as the admin page does, so each action
ends the sessions it must and is audited (as done from "cli").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")


@contextmanager
def _database(database_url: str | None) -> Iterator[tuple[Any, dict]]:
    """A session on the app's database (migrated first) and the app's settings."""
    from web import config
    from web.db import Database, upgrade

    settings = config.from_env({"SECRET_KEY": "unused"})
    url = database_url or settings["DATABASE_URL"]
    upgrade(url)
    db = Database(url)
    try:
        with db.session() as s:
            yield s, settings
    finally:
        db.dispose()


def _in_transaction(database_url: str | None, action: Callable[[Any, dict], T]) -> T:
    with _database(database_url) as (s, settings):
        result = action(s, settings)
        s.commit()
        return result


def users_add(
    username: str,
    role: str,
    password: str,
    *,
    clinician_id: str | None = None,
    database_url: str | None = None,
) -> int:
    """Create an account in the app's database (migrated first); returns its id.

    Raises ``web.services.users.UserError`` for an unknown role, a nurse without a
    clinician id, a password the policy refuses (``password_problems``) or a taken username.
    """
    from web.services import audit
    from web.services.users import create_user

    def add(s, settings) -> int:
        user = create_user(s, username, password, role, clinician_id=clinician_id,
                           hash_method=settings["PASSWORD_HASH_METHOD"])  # fmt: skip
        audit.record(s, None, "user_add", f"{user.username} ({role})", "cli")
        return user.id

    return _in_transaction(database_url, add)


def users_list(*, database_url: str | None = None) -> list:
    """Every account (``web.services.accounts.Account``), as the admin page lists them."""
    from web.services.accounts import list_accounts
    from web.services.sessions import Timeouts

    return _in_transaction(database_url,
                           lambda s, settings: list_accounts(s, Timeouts.from_config(settings)))


def users_disable(username: str, *, database_url: str | None = None) -> int:
    """Disable an account and end its sessions; how many were ended. ``NoSuchAccount``."""
    from web.services.accounts import disable

    return _in_transaction(database_url, lambda s, _: disable(s, username, ip="cli"))


def users_enable(username: str, *, database_url: str | None = None) -> None:
    from web.services.accounts import enable

    _in_transaction(database_url, lambda s, _: enable(s, username, ip="cli"))


def users_reset(username: str, password: str | None = None, *,
                database_url: str | None = None) -> str:  # fmt: skip
    """A temporary password (``password``, or one made here), to be changed at the next
    sign-in; the account's sessions end. Returns the temporary password."""
    from web.services.accounts import reset_password

    return _in_transaction(database_url, lambda s, settings: reset_password(
        s, username, password, ip="cli", hash_method=settings["PASSWORD_HASH_METHOD"]))


def users_sign_out(username: str, *, database_url: str | None = None) -> int:
    """End every open session of an account; how many."""
    from web.services.accounts import sign_out_everywhere

    return _in_transaction(database_url, lambda s, _: sign_out_everywhere(s, username, ip="cli"))


def web_purge(*, dry_run: bool = False, database_url: str | None = None):
    """``hah web purge``: retention's purge now, by the service clock and the periods of the
    environment (``web.services.retention``); returns its counts (``Purged``)."""
    from web import config
    from web.db import Database, upgrade
    from web.services import clock
    from web.services.retention import purge

    settings = config.from_env({"SECRET_KEY": "unused"})
    url = database_url or settings["DATABASE_URL"]
    upgrade(url)
    db = Database(url)
    try:
        return purge(db, config.retention(settings), clock.now(settings), dry_run=dry_run,
                     source="cli")  # fmt: skip
    finally:
        db.dispose()
