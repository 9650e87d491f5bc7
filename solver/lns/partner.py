"""The second search's process: ``python -m solver.lns.partner DOWN_FD UP_FD``.

Started by ``solver.lns.parallel.Partner`` with two pipe ends; a module of its own so that
the classes it unpickles are those of ``solver.lns.parallel`` and not a ``__main__`` copy.
"""

from __future__ import annotations

import sys
from multiprocessing.connection import Connection

from solver.lns.parallel import serve

if __name__ == "__main__":  # pragma: no cover - runs in the partner process
    down = Connection(int(sys.argv[1]), writable=False)
    up = Connection(int(sys.argv[2]), readable=False)
    serve(down, up)
