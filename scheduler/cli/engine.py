"""``hah compile``: build the search engine's machine code now, once per installation.

The default engine (``solver.lns``) is compiled by numba and cached on disk beside its
sources. Compiling takes 20–60 s; loading the cache about a second. ``make install`` runs this
so that no coordinator's solve, demo or re-plan pays for the compilation inside the time she
waits: a solve with ``--time-limit 60`` then takes about 60 s on a fresh clone too.
"""

from __future__ import annotations

import argparse
from typing import Any

from scheduler.cli.common import EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser("compile", help="compile the search engine now (once per installation)")
    p.set_defaults(func=cmd_compile)


def cmd_compile(args: argparse.Namespace) -> int:
    from solver.lns import warm_up

    seconds = warm_up()
    print(f"search engine ready ({seconds:.1f} s: compiled, or loaded from numba's cache)")
    return EXIT_OK
