"""The one rule that times a route whose order is fixed: when each visit starts and where the
break goes.

Who makes which visits, and in what order, is the search's business (or a coordinator's);
*when* is decided here, the same way for the solver's final rota (``solver.schedule``) and
for a coordinator's hand edit (``scheduler.domain.retime``), so a route nobody touched times
the same either way. The search's compiled engine (``solver.lns.kernel``) computes the same
times in its inner loop, and a test holds the two to each other.

The rule: leave base as late as still reaches the first visit on time; start every visit as
early as its window, the drive and any lower bound (a partner's start, a predecessor's end
plus its gap) allow; take the break in the first gap that keeps the route on time. A break in
the gap before visit ``q`` starts at ``b = max(free, break earliest)``, where ``free`` is when
the clinician is done at the previous place; it is taken before (or during) the drive when
``b`` falls before she would reach ``q``, else at ``q``'s door; either way ``q`` starts no
earlier than ``max(free + drive, b) + break``.

Everything is in whole minutes of ``Problem.minute``. ``simulate`` never refuses: what is late
is added up (visit starts past their window, a break started past its latest start, the
return past the shift's end), so the solver can insist on zero and an edit can show it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from scheduler.domain.model import Problem

Travel = Callable[[int, int], int]


@dataclass(frozen=True)
class BreakRule:
    """The break in minutes: it starts between ``earliest`` and ``latest``."""

    earliest: int
    latest: int
    duration: int


@dataclass(frozen=True)
class Workday:
    """A clinician's day in minutes: where and when it starts and ends, and the break."""

    start_loc: int
    end_loc: int
    start: int
    end: int
    rest: BreakRule | None


@dataclass(frozen=True)
class Task:
    """One visit on the route: ``key`` names it for the caller; its place, the window its
    start must fall in, and its minutes on site."""

    key: int
    loc: int
    earliest: int
    latest: int
    duration: int


@dataclass(frozen=True)
class Timed:
    """One timed element of a route: a visit (``key``) or the break (``key`` None)."""

    key: int | None
    arrive: int
    start: int
    end: int
    travel: int


def workday(problem: Problem, k: int) -> Workday:
    """Shift ``k`` in minutes. Starts round up and ends down, so the minutes never leave an
    interval given to the second; the break starts inside both its window and the shift,
    early enough to end by the shift's end."""
    shift = problem.shifts[k]
    rest = None
    if shift.rest_break is not None:
        b = shift.rest_break
        rest = BreakRule(
            earliest=max(
                problem.minute(b.window.start, round_up=True),
                problem.minute(shift.start, round_up=True),
            ),
            latest=min(problem.minute(b.window.end), problem.minute(shift.end) - b.duration_min),
            duration=b.duration_min,
        )
    return Workday(
        start_loc=problem.shift_start_loc[k],
        end_loc=problem.shift_end_loc[k],
        start=problem.minute(shift.start, round_up=True),
        end=problem.minute(shift.end),
        rest=rest,
    )


def visit_window(problem: Problem, v: int) -> tuple[int, int]:
    """Visit ``v``'s window in minutes (start rounded up, end down)."""
    w = problem.visits[v].window
    return problem.minute(w.start, round_up=True), problem.minute(w.end)


def visit_task(problem: Problem, v: int) -> Task:
    """Visit ``v`` as the timing rule sees it, with its own window."""
    lo, hi = visit_window(problem, v)
    return Task(v, problem.visit_loc[v], lo, hi, problem.visits[v].duration_min)


def simulate(
    day: Workday,
    seq: Sequence[Task],
    travel: Travel,
    break_gap: int | None,
    lower: Mapping[int, int] | None = None,
) -> tuple[list[Timed], int]:
    """The route with the break in gap ``break_gap`` (gap g lies before the g-th visit; gap
    ``len(seq)`` after the last; None: no break), and its lateness in minutes. ``lower``
    gives extra earliest starts by task key."""
    rest = day.rest if break_gap is not None else None
    out: list[Timed] = []
    here, free, late = day.start_loc, day.start, 0
    for g in range(len(seq) + 1):
        nxt = seq[g].loc if g < len(seq) else day.end_loc
        drive = travel(here, nxt)
        ready = arrive = free + drive
        if rest is not None and g == break_gap:
            b_start = max(free, rest.earliest)
            late += max(0, b_start - rest.latest)
            ready = max(free + drive, b_start) + rest.duration
            arrive = ready if b_start < free + drive else free + drive
            out.append(Timed(None, b_start, b_start, b_start + rest.duration, 0))
        if g == len(seq):
            late += max(0, ready - day.end)
            break
        task = seq[g]
        start = max(task.earliest, ready, lower.get(task.key, 0) if lower else 0)
        late += max(0, start - task.latest)
        if g == 0 and not (rest is not None and break_gap == 0):
            arrive = start  # leave base just in time for the first visit
        out.append(Timed(task.key, arrive, start, start + task.duration, drive))
        here, free = nxt, start + task.duration
    return out, late


def time_route(
    day: Workday,
    seq: Sequence[Task],
    travel: Travel,
    lower: Mapping[int, int] | None = None,
) -> tuple[list[Timed], int]:
    """The route timed with the break in the first gap that leaves nothing late, else in the
    gap that leaves least late; and that lateness (0: the route keeps every rule)."""
    if not seq:
        return [], 0
    if day.rest is None:
        return simulate(day, seq, travel, None, lower)
    best: tuple[list[Timed], int] | None = None
    for gap in range(len(seq) + 1):
        stops, late = simulate(day, seq, travel, gap, lower)
        if late == 0:
            return stops, 0
        if best is None or late < best[1]:
            best = (stops, late)
    assert best is not None
    return best
