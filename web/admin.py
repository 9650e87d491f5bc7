"""What ``hah users add`` does to the web app (its arguments are parsed in
``scheduler.cli.web``; ``hah serve`` is ``web.serving``).

The app runs behind a reverse proxy with TLS, since the session cookie is Secure by default
(``HAH_SECURE_COOKIES=0`` to try it over plain http on a laptop). ``users_add`` is how the
first admin and every account are made: there is no self-registration in a clinical system.
"""

from __future__ import annotations


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
    from web import config
    from web.db import Database, upgrade
    from web.services import audit
    from web.services.users import create_user

    settings = config.from_env({"SECRET_KEY": "unused"})
    url = database_url or settings["DATABASE_URL"]
    upgrade(url)
    db = Database(url)
    try:
        with db.session() as s:
            user = create_user(s, username, password, role, clinician_id=clinician_id,
                               hash_method=settings["PASSWORD_HASH_METHOD"])  # fmt: skip
            audit.record(s, None, "user_add", f"{user.username} ({role})", "cli")
            s.commit()
            return user.id
    finally:
        db.dispose()
