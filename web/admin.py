"""Entry points for ``hah serve`` and ``hah users add`` (wired into ``scheduler.cli`` later).

``serve`` migrates the database (via ``create_app``) and runs the app on Werkzeug's threaded
server: enough for a ward's coordinators and nurses on a trust's intranet; behind a reverse
proxy with TLS, since the session cookie is Secure by default (``HAH_SECURE_COOKIES=0`` to
try it over plain http on a laptop). ``users add`` is how the first admin and every account
are made: there is no self-registration in a clinical system.

Also runnable on its own: ``python -m web.cli serve`` / ``python -m web.cli users add …``.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from web.models import ROLES


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--debug", action="store_true", help="reloader and debugger (never live)")


def serve(args: argparse.Namespace) -> int:
    """Run the web app until interrupted. ``args``: host, port, debug (all optional)."""
    from werkzeug.serving import run_simple

    from web import create_app

    app = create_app()
    host = getattr(args, "host", "127.0.0.1")
    port = getattr(args, "port", 8000)
    debug = bool(getattr(args, "debug", False))
    where = app.extensions["hah_db"].engine.url.render_as_string(hide_password=True)
    print(f"Hospital at Home web app on http://{host}:{port}/ (database: {where})")
    run_simple(host, port, app, threaded=True, use_reloader=debug, use_debugger=debug)
    return 0


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
    clinician id, a short password or a taken username.
    """
    from web import config
    from web.db import Database, upgrade
    from web.services import audit
    from web.services.users import create_user

    url = database_url or config.from_env({"SECRET_KEY": "unused"})["DATABASE_URL"]
    upgrade(url)
    db = Database(url)
    try:
        with db.session() as s:
            user = create_user(s, username, password, role, clinician_id=clinician_id)
            audit.record(s, None, "user_add", f"{user.username} ({role})", "cli")
            s.commit()
            return user.id
    finally:
        db.dispose()


def add_users_add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("username")
    parser.add_argument("--role", required=True, choices=ROLES)
    parser.add_argument("--clinician-id", help="a nurse's clinician_id in clinicians.csv")
    parser.add_argument(
        "--password-env",
        metavar="VAR",
        help="read the password from this environment variable (else it is asked for)",
    )


def cmd_users_add(args: argparse.Namespace) -> int:
    """``hah users add NAME --role ROLE [--clinician-id C] [--password-env VAR]``."""
    from web.services.users import UserError

    if args.password_env:
        password = os.environ.get(args.password_env, "")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("the passwords differ", file=sys.stderr)
            return 2
    try:
        uid = users_add(args.username, args.role, password, clinician_id=args.clinician_id)
    except UserError as err:
        print(f"not added: {err}", file=sys.stderr)
        return 2
    print(f"added {args.username} ({args.role}), id {uid}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m web.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    add_serve_arguments(sub.add_parser("serve", help="run the web app"))
    users = sub.add_parser("users", help="manage accounts").add_subparsers(
        dest="users_command", required=True
    )
    add_users_add_arguments(users.add_parser("add", help="create an account"))
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return cmd_users_add(args)


if __name__ == "__main__":
    sys.exit(main())
