"""The ``hah`` command line: every subcommand, parsing arguments and printing results only.

Each command module registers its subcommands and calls a use case
(``scheduler.usecases``); nothing here plans, checks or stores by itself. Exit codes are in
``scheduler.cli.common``: 0 done, 1 a rota that breaks a rule (``check``; ``replan``, which then writes
nothing), 2 input refused
(every problem named by file, row and column; nothing written).
"""

from __future__ import annotations

import argparse
import sys
import time

from scheduler.cli import capacity, demo, engine, fhir, propose, replan, solve, visits, web
from scheduler.cli.common import EXIT_REFUSED, process_started
from scheduler.domain.errors import InputError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hah", description="Hospital at Home visit scheduling.")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in (solve, visits, replan, propose, web, engine, fhir):
        command.register(sub)
    capacity.add_capacity_parser(sub)
    from scheduler.cli.simulate import add_simulate_parser

    add_simulate_parser(sub)
    demo.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """``hah``. A command's time limit counts from the start of the process when run from
    the command line (the imports are part of the wait), from this call when called in-process."""
    started = process_started() if argv is None else time.monotonic()
    args = build_parser().parse_args(argv)
    args.clock_started = started
    try:
        return int(args.func(args))
    except InputError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        print(f"input refused: {len(exc.issues)} problem(s); nothing written", file=sys.stderr)
        return EXIT_REFUSED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
