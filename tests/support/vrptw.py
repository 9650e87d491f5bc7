"""A small synthetic VRPTW instance in the Solomon text layout, for the benchmark engines' tests."""

from __future__ import annotations

import random


def write_instance(path, n=12, seed=1):
    """A small synthetic instance in the Solomon text layout (depot first)."""
    rng = random.Random(seed)
    rows = ["    0      50         50          0          0       400          0"]
    for c in range(1, n + 1):
        ready = rng.randint(0, 200)
        rows.append(
            f"{c:5d} {rng.randint(0, 100):6d} {rng.randint(0, 100):9d} {rng.randint(5, 20):10d} {ready:10d} {ready + 80:10d} {10:10d}"
        )
    path.write_text("TINY1\n\nVEHICLE\nNUMBER     CAPACITY\n  5         60\n\nCUSTOMER\n"
                    "CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME\n \n"
                    + "\n".join(rows) + "\n")  # fmt: skip
    return path
