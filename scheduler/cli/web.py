"""``hah serve`` and ``hah users add``: the web app and its accounts (``web.admin``).

Flask is imported only when one of these commands runs, so the planning commands start
without it (the parser reads the roles from ``web.models``).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import Any

from scheduler.cli.common import EXIT_OK, EXIT_REFUSED


def add_serve_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=8000)


def register(sub: Any) -> None:
    from web.models import ROLES

    p = sub.add_parser("serve", help="run the web app (creates and migrates its database)")
    add_serve_arguments(p)
    p.add_argument("--debug", action="store_true", help="reloader and debugger (never live)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("users", help="manage web app accounts")
    users = p.add_subparsers(dest="users_command", required=True)
    p = users.add_parser("add", help="add an account: coordinator, nurse, ops or admin")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=ROLES)
    p.add_argument("--clinician-id", help="a nurse's clinician_id in clinicians.csv")
    p.add_argument(
        "--password-env",
        metavar="VAR",
        help="read the password from this environment variable (else it is asked for)",
    )
    p.set_defaults(func=cmd_users_add)


def cmd_serve(args: argparse.Namespace) -> int:
    from web.admin import serve

    return serve(args.host, args.port, debug=bool(getattr(args, "debug", False)))


def cmd_users_add(args: argparse.Namespace) -> int:
    """``hah users add NAME --role ROLE [--clinician-id C] [--password-env VAR]``."""
    from web.admin import users_add
    from web.services.users import UserError

    if args.password_env:
        password = os.environ.get(args.password_env, "")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("the passwords differ", file=sys.stderr)
            return EXIT_REFUSED
    try:
        uid = users_add(args.username, args.role, password, clinician_id=args.clinician_id)
    except UserError as err:
        print(f"not added: {err}", file=sys.stderr)
        return EXIT_REFUSED
    print(f"added {args.username} ({args.role}), id {uid}")
    return EXIT_OK
