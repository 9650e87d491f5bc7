"""The capacity worker's entry point, for sweeps and simulated months:
``python -m web.capacity_worker RUN_ID`` (started by
``web.services.capacity.make_capacity_runner``).

The database URL comes from ``HAH_WORKER_DATABASE_URL`` so that it never appears in a
process listing. Everything else is ``web.services.capacity.run_capacity``.
"""

from __future__ import annotations

import os
import sys

from web.services.capacity import run_capacity


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    url = os.environ.get("HAH_WORKER_DATABASE_URL")
    if len(args) != 1 or not args[0].isdigit() or not url:
        print(
            "usage: HAH_WORKER_DATABASE_URL=... python -m web.capacity_worker RUN_ID",
            file=sys.stderr,
        )
        return 2
    run_capacity(url, int(args[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
