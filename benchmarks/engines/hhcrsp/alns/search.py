"""The adaptive loop: destroy, repair, accept by simulated annealing, adapt operator weights.

Why a module of its own: the loop decides only what to try and what to keep; the costs are
exact (``insertion``) and the removals are chosen elsewhere (``destroy``). Acceptance is
simulated annealing from ``T_START`` times the first solution's cost down to 0.0005 times it;
operator weights are a roulette updated every 50 iterations. The search stops when the time
is up or when no new best has been found for ``stall`` seconds (default 0.2 s per patient, at
least 2 s and at most 30 % of the time limit) and for half the time it took to find the last
best; or, with ``iterations``, after exactly that many iterations, which makes a run
reproducible (the clock is then not read to decide anything).
"""

from __future__ import annotations

import math
import random
import time

from benchmarks.engines.hhcrsp.alns.destroy import Destroy
from benchmarks.engines.hhcrsp.alns.insertion import Repair
from benchmarks.engines.hhcrsp.alns.state import full_schedule, task_tables, to_routes
from benchmarks.engines.hhcrsp.instance import HhcrspInstance
from benchmarks.engines.hhcrsp.schedule import SolveResult, score

Q_FRAC = 0.4  # at most this share of the patients (and 40) removed per iteration
T_START = 0.04  # starting temperature, times the first solution's cost
T_END = 0.0005  # final temperature, times the first solution's cost
# Roulette rewards: a new best, an improvement, an accepted worse (or equal) solution.
REWARD_BEST, REWARD_BETTER, REWARD_ACCEPTED = 33, 9, 3
UPDATE_EVERY = 50


class Budget:
    """When the search stops, and the share of its budget used (which sets the temperature)."""

    def __init__(self, t0: float, time_limit: float, stall: float, iterations: int | None) -> None:
        self.t0, self.time_limit, self.stall, self.iterations = t0, time_limit, stall, iterations

    def progress(self, it: int, last_best: float) -> float | None:
        """None when the search should stop after ``it`` iterations (the last new best found
        at clock time ``last_best``), else the share of the budget used."""
        now = time.monotonic()
        elapsed = now - self.t0
        if self.iterations is not None:
            if it >= self.iterations:
                return None
            return it / self.iterations
        if elapsed >= self.time_limit or now - last_best > max(
            self.stall, 0.5 * (last_best - self.t0)
        ):
            return None
        return elapsed / self.time_limit


class Roulette:
    """Adaptive operator weights: each period, a weight moves a fifth of the way towards its
    operator's mean reward per use (at least 0.05)."""

    def __init__(self, n: int) -> None:
        self.weights = [1.0] * n
        self.scores = [0.0] * n
        self.uses = [0] * n

    def choose(self, rng: random.Random) -> int:
        return rng.choices(range(len(self.weights)), self.weights)[0]

    def update(self) -> None:
        for j in range(len(self.weights)):
            if self.uses[j]:
                self.weights[j] = 0.8 * self.weights[j] + 0.2 * max(
                    0.05, self.scores[j] / self.uses[j]
                )
            self.scores[j], self.uses[j] = 0.0, 0


def solve_alns(
    inst: HhcrspInstance,
    time_limit: float = 60.0,
    *,
    seed: int = 0,
    stall: float | None = None,
    iterations: int | None = None,
    log: bool = False,
) -> SolveResult:
    """The search until ``time_limit`` seconds or a stall; with ``iterations``, exactly that
    many iterations instead (clock and stall ignored, the temperature falling with the share
    of iterations done), so the same seed gives the same routes on any machine."""
    t0 = time.monotonic()
    rng = random.Random(seed)
    tb = task_tables(inst)
    repair = Repair(inst, tb, rng)
    destroy = Destroy(inst, tb, rng)
    patients = list(inst.patients)
    n = len(patients)
    cur = repair.construct(sorted(patients, key=lambda i: (inst.earliest[i], inst.latest[i])))
    best = cur.copy()
    history = [(time.monotonic() - t0, best.cost / 3)]
    destroys = destroy.operators
    roulette = Roulette(len(destroys))
    q_min = max(1, min(4, n // 5))
    q_max = max(q_min, min(40, int(Q_FRAC * n)))
    t_start = T_START * cur.cost
    t_end = T_END * cur.cost
    if stall is None:
        stall = max(2.0, min(0.3 * time_limit, 0.2 * n))
    budget = Budget(t0, time_limit, stall, iterations)
    it = 0
    last_best = time.monotonic()
    while (frac := budget.progress(it, last_best)) is not None:
        temp = t_start * (t_end / t_start) ** frac
        it += 1
        k = roulette.choose(rng)
        q = rng.randint(q_min, q_max)
        cand = cur.copy()
        removed = destroys[k](cand, q)
        destroy.remove(cand, removed)
        mode = rng.random()
        if mode < 0.4:
            rng.shuffle(removed)
        elif mode < 0.7:
            removed.sort(key=lambda i: inst.earliest[i])
        else:
            removed.sort(key=lambda i: (-len(inst.services(i)), rng.random()))
        noise = 0.0 if rng.random() < 0.5 else 0.1
        if not all(repair.insert_patient(cand, i, noise) for i in removed):
            continue
        full_schedule(tb, cand)
        roulette.uses[k] += 1
        delta = cand.cost - cur.cost
        if cand.cost < best.cost - 1e-7:
            best = cand.copy()
            cur = cand
            roulette.scores[k] += REWARD_BEST
            last_best = time.monotonic()
            history.append((last_best - t0, best.cost / 3))
            if log:
                print(f"{last_best - t0:7.2f}s it {it} best {best.cost / 3:.2f}", flush=True)
        elif delta < -1e-7:
            cur = cand
            roulette.scores[k] += REWARD_BETTER
        elif rng.random() < math.exp(-max(delta, 0.0) / temp):
            cur = cand
            roulette.scores[k] += REWARD_ACCEPTED if delta > 1e-7 else 0
        if it % UPDATE_EVERY == 0:
            roulette.update()
    routes = to_routes(tb, best)
    return SolveResult(
        routes, score(inst, routes), time.monotonic() - t0, it, "alns", tuple(history)
    )
