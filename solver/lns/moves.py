"""Compiled pieces the two ruin-and-recreate kernels share (this one for the day,
``benchmarks.engines.sisr`` for plain VRPTW): which re-insertion order to use this time,
and the removed visits sorted by a key. Each kernel computes its own keys from its own
state (see ``solver.lns.annealing`` on why the kernels themselves stay apart)."""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True)
def roulette(weights):
    """An index drawn with probability proportional to ``weights`` (one random draw)."""
    total = weights.sum()
    x = np.random.random() * total
    kind = 0
    acc = weights[0]
    while x > acc and kind < len(weights) - 1:
        kind += 1
        acc += weights[kind]
    return kind


@nb.njit(cache=True)
def sorted_by(removed, n_removed, keys):
    """``removed[:n_removed]`` in ascending order of ``keys`` (stable)."""
    idx = np.argsort(keys, kind="mergesort")
    out = np.empty(n_removed, dtype=np.int64)
    for i in range(n_removed):
        out[i] = removed[idx[i]]
    return out
