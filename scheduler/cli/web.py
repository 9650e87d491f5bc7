"""``hah serve``, ``hah worker``, ``hah up``, ``hah db upgrade``, ``hah users …`` and ``hah web
purge``: the web app, its job workers, the two together, its database, its accounts and the
retention of its data (``web.serving``, ``web.worker``, ``web.up``, ``web.admin``).

Flask, gunicorn and RQ are imported only when one of these commands runs, so the planning
commands start without them (the parser reads the roles from ``web.models``).
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


def add_production_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=int, help="web worker processes (HAH_WEB_WORKERS; "
                   "default two per core, at most 8)")  # fmt: skip
    p.add_argument("--threads", type=int, help="threads per web worker (HAH_WEB_THREADS; 4)")


def register(sub: Any) -> None:
    from web.models import ROLES

    p = sub.add_parser("serve", help="run the web app under gunicorn (migrates the database "
                       "once first, unless --no-migrate)")  # fmt: skip
    add_serve_arguments(p)
    add_production_arguments(p)
    p.add_argument("--no-migrate", action="store_true",
                   help="leave the schema to `hah db upgrade` (as does HAH_MIGRATE=0)")
    p.add_argument("--dev", action="store_true",
                   help="Werkzeug's one-process development server instead (never on a ward)")
    p.add_argument("--debug", action="store_true", help="with --dev: reloader and debugger")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="run a job worker: solves, re-optimisations and capacity "
                       "runs from the Redis queue (HAH_REDIS_URL)")  # fmt: skip
    p.add_argument("--queue", action="append", choices=("live", "solve", "capacity"),
                   help="only this queue (repeatable; default all three: live-day events "
                   "first, then solves)")
    p.add_argument("--burst", action="store_true", help="stop once the queues are empty")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("up", help="the whole service here: migrate, then the web server and "
                       "job workers, supervised")  # fmt: skip
    add_serve_arguments(p)
    add_production_arguments(p)
    p.add_argument("--queue-workers", type=int, default=int(os.environ.get("HAH_QUEUE_WORKERS")
                   or 1), help="job workers (HAH_QUEUE_WORKERS; default 1: a solve holds a core)")
    p.add_argument("--grace", type=float, default=60.0,
                   help="seconds to let workers finish their jobs when stopped")
    p.set_defaults(func=cmd_up)

    p = sub.add_parser("db", help="the web app's database")
    db = p.add_subparsers(dest="db_command", required=True)
    p = db.add_parser("upgrade", help="migrate to the code's schema (safe to run twice at once)")
    p.set_defaults(func=cmd_db_upgrade)
    p = db.add_parser("current", help="print the database's and the code's schema revisions")
    p.set_defaults(func=cmd_db_current)

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
    p = users.add_parser("list", help="every account: role, active, must change password, "
                         "last sign-in, open sessions")  # fmt: skip
    p.set_defaults(func=cmd_users_list)
    for name, helps in (("disable", "disable an account: no sign-in, its open sessions end now"),
                        ("enable", "let a disabled account sign in again"),
                        ("sign-out", "end every open session of an account")):  # fmt: skip
        p = users.add_parser(name, help=helps)
        p.add_argument("username")
        p.set_defaults(func=cmd_users_action, action=name)
    p = users.add_parser("reset", help="set a temporary password, to be changed at the next "
                         "sign-in; the account's open sessions end")  # fmt: skip
    p.add_argument("username")
    p.add_argument("--password-env", metavar="VAR", help="the temporary password from this "
                   "environment variable (else one is made and printed, once)")  # fmt: skip
    p.set_defaults(func=cmd_users_reset)
    add_users_oidc_commands(users)
    add_web_commands(sub)


def add_web_commands(sub: Any) -> None:
    """``hah web purge``: kept apart so other ``web`` subcommands merge cleanly."""
    p = sub.add_parser("web", help="the web app's stored data")
    web = p.add_subparsers(dest="web_command", required=True)
    p = web.add_parser("purge", help="purge personal data past its retention period "
                       "(HAH_RETAIN_UPLOADS_DAYS, HAH_RETAIN_DISCHARGED_DAYS): old days' "
                       "uploads minimised, discharged patients' details removed; prints "
                       "counts only")  # fmt: skip
    p.add_argument("--dry-run", action="store_true", help="count what is due; change nothing")
    p.set_defaults(func=cmd_web_purge)


def cmd_web_purge(args: argparse.Namespace) -> int:
    """``hah web purge [--dry-run]``: counts only, never a patient's data (an error is named
    by its kind alone: its text could quote a row)."""
    from web import config
    from web.admin import web_purge

    try:
        config.retention()
    except ValueError as err:  # a retention setting refused: it names the setting
        print(f"not purged: {err}", file=sys.stderr)
        return EXIT_REFUSED
    try:
        done = web_purge(dry_run=bool(args.dry_run))
    except Exception as exc:
        print(f"not purged: {type(exc).__name__}", file=sys.stderr)
        return 1
    print(done.sentence())
    return EXIT_OK


def add_users_oidc_commands(users: Any) -> None:
    """``hah users link-oidc``: kept apart so other ``users`` subcommands merge cleanly."""
    p = users.add_parser("link-oidc", help="link an account to its single sign-on identity "
                         "(the provider's issuer and the person's subject there)")  # fmt: skip
    p.add_argument("username")
    p.add_argument("--issuer", required=True, help="the provider's issuer URL (HAH_OIDC_ISSUER)")
    p.add_argument("--subject", required=True, help="the person's `sub` at that provider")
    p.set_defaults(func=cmd_users_link_oidc)


def cmd_users_link_oidc(args: argparse.Namespace) -> int:
    """``hah users link-oidc NAME --issuer ISS --subject SUB``: the account signs in as that
    identity from now on (an earlier link of the account is replaced, and said so)."""
    from web.db import Database, upgrade
    from web.services import audit
    from web.services.oidc_accounts import OIDCLinkError, link_account

    url = _database_url()
    upgrade(url)
    db = Database(url)
    try:
        with db.session() as s:
            try:
                change = link_account(s, args.username, args.issuer, args.subject)
            except OIDCLinkError as err:
                print(f"not linked: {err}", file=sys.stderr)
                return EXIT_REFUSED
            was = f"; was iss {change.previous[0]}, sub {change.previous[1]}" if change.previous else ""
            audit.record(s, None, "oidc_link", f"{change.user.username}: iss {args.issuer.strip()}, "
                         f"sub {args.subject.strip()}{was}", "cli")  # fmt: skip
            s.commit()
            print(f"linked {change.user.username} to iss {args.issuer.strip()}, sub "
                  f"{args.subject.strip()}{was}")  # fmt: skip
    finally:
        db.dispose()
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from web import serving

    if args.dev:
        return serving.serve_dev(args.host, args.port, debug=bool(args.debug))
    return serving.serve(args.host, args.port, workers=args.workers, threads=args.threads,
                         migrate=False if args.no_migrate else None)  # fmt: skip


def cmd_worker(args: argparse.Namespace) -> int:
    from web.worker import QUEUES, run

    return run(tuple(args.queue or QUEUES), burst=bool(args.burst))


def cmd_up(args: argparse.Namespace) -> int:
    from web.up import up

    return up(args.host, args.port, web_workers=args.workers, threads=args.threads,
              queue_workers=max(0, args.queue_workers), grace_s=args.grace)  # fmt: skip


def _database_url() -> str:
    from web import config

    return str(config.from_env({"SECRET_KEY": "unused"})["DATABASE_URL"])


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from web.db import current_revision, upgrade

    url = _database_url()
    upgrade(url)
    print(f"database at revision {current_revision(url)}")
    return EXIT_OK


def cmd_db_current(args: argparse.Namespace) -> int:
    from web.db import current_revision, head_revision

    have, want = current_revision(_database_url()), head_revision()
    print(f"database {have or '(empty)'}, code {want}")
    return EXIT_OK if have == want else 1


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


def cmd_users_list(args: argparse.Namespace) -> int:
    """``hah users list``: one line per account, nothing secret."""
    from web.admin import users_list

    print(f"{'username':<20} {'role':<12} {'clinician':<10} {'active':<8} {'change':<7} "
          f"{'last sign-in (UTC)':<20} sessions")  # fmt: skip
    for a in users_list():
        last = a.last_sign_in.strftime("%Y-%m-%d %H:%M") if a.last_sign_in else "never"
        print(f"{a.username:<20} {a.role:<12} {a.clinician_id or '-':<10} "
              f"{'yes' if a.active else 'no':<8} {'yes' if a.must_change_password else 'no':<7} "
              f"{last:<20} {a.open_sessions}")  # fmt: skip
    return EXIT_OK


def cmd_users_action(args: argparse.Namespace) -> int:
    """``hah users disable|enable|sign-out NAME``."""
    from web import admin
    from web.services.accounts import NoSuchAccount

    try:
        if args.action == "disable":
            ended = admin.users_disable(args.username)
            print(f"disabled {args.username}; {ended} open sessions ended")
        elif args.action == "enable":
            admin.users_enable(args.username)
            print(f"enabled {args.username}")
        else:
            ended = admin.users_sign_out(args.username)
            print(f"signed out {args.username} everywhere; {ended} sessions ended")
    except NoSuchAccount as err:
        print(str(err), file=sys.stderr)
        return EXIT_REFUSED
    return EXIT_OK


def cmd_users_reset(args: argparse.Namespace) -> int:
    """``hah users reset NAME [--password-env VAR]``: with ``--password-env`` nothing secret is
    printed; without it a temporary password is made and printed once, to hand over."""
    from web.admin import users_reset
    from web.services.accounts import NoSuchAccount
    from web.services.users import UserError

    given = os.environ.get(args.password_env, "") if args.password_env else None
    try:
        temporary = users_reset(args.username, given)
    except (NoSuchAccount, UserError) as err:
        print(f"not reset: {err}", file=sys.stderr)
        return EXIT_REFUSED
    print(f"reset {args.username}: the password must be changed at the next sign-in; "
          "open sessions ended")  # fmt: skip
    if given is None:
        print(f"temporary password (shown once): {temporary}")
    return EXIT_OK
