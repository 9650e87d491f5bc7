"""The independent checker: is this rota feasible for this day, and what are its figures?

It never imports the solver: it is how we know the solver is right. It trusts nothing in the
rota but the order of the stops and their times: every drive is recomputed from the problem's
travel matrix, and every rule of the contract is tested separately, reporting *every*
violation (not just the first) under the rule's name, so that a solver bug, a hand edit or
another tool's rota is caught the same way.

Rules, one function each below (``RULES``):

- ``accounting``: every visit is in the rota or in ``unassigned``, exactly once; a staff-1
  visit on one route once, a staff-2 visit on two *different* clinicians' routes; no unknown
  visits or clinicians; at most one route per clinician.
- ``skills``, ``pin``; the patient's own rules: ``excluded`` (no attendant the patient has
  excluded), ``carer_gender`` (every attendant of the gender the patient asked for, stated
  on her shift), ``after_dark`` (a ``no_lone_after_dark`` patient's visit made by one
  clinician lies between civil dawn and dusk at the home; a ``two_staff`` patient's visits
  are staff 2 by the domain's own invariant, which ``accounting`` then holds);
- ``window`` (start inside the window, ends included), ``duration``
  (visits and breaks), ``sync`` (a double-handed visit starts together), ``gap``
  (``after_visit`` + ``min_gap_min``; the predecessor must be placed too).
- ``shift``: whole-minute times, every stop inside the shift, the first leg (leave base no
  earlier than the shift start) and the return leg (back by the shift end).
- ``travel``: each visit's reported drive equals the matrix; breaks report no driving.
- ``timeline``: stops in time order without overlap, ``arrive <= start``, a break's
  ``arrive == start``, and room for the drive (plus any breaks) between consecutive visits.
- ``break``: exactly one break of the shift's length, started inside its window, on a route
  with visits; none on a shift without a break.
- ``max_visits``.

Breaks and drives. A break is a stop of its own, taken where the clinician is: before the drive
to the next visit, after it (at the next door), or part-way along it. The breaks *listed*
between two visit stops belong to that gap. For a gap from ``leave`` (the previous visit's end,
or the shift start) to the next visit ``q``:

- time driven before arriving = ``q.arrive - leave`` minus the break time inside
  ``[leave, q.arrive]``; it must be at least the matrix drive (so an arrival recorded as if a
  break taken before the drive had not happened is caught);
- ``q.start - leave >= drive + the gap's breaks``;
- each break lies inside ``[leave, q.start]`` (this follows from the stop order check).

With no break in the gap these are the plain ``q.arrive >= leave + drive``. The first leg is
reported under ``shift`` (it is about leaving before the shift starts), the legs between
visits under ``timeline``. After the last visit: ``end + drive home + later breaks <=
shift end``, under ``shift``.

Everything is one pass over the stops (O(total stops)), so a day of 2,000 visits checks in a
few tens of milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from scheduler.domain.check.facts import CheckReport, Facts, Violation, gather
from scheduler.domain.check.figures import compute_kpis
from scheduler.domain.check.route_rules import (
    check_break,
    check_max_visits,
    check_shift,
    check_timeline,
    check_travel,
)
from scheduler.domain.check.visit_rules import (
    check_accounting,
    check_after_dark,
    check_carer_gender,
    check_duration,
    check_excluded,
    check_gap,
    check_pin,
    check_skills,
    check_sync,
    check_window,
)
from scheduler.domain.model import Problem, Rota

__all__ = ["RULES", "CheckReport", "Violation", "check"]

Rule = Callable[[Facts], Iterator[Violation]]


RULES: tuple[tuple[str, Rule], ...] = (
    ("accounting", check_accounting),
    ("skills", check_skills),
    ("pin", check_pin),
    ("excluded", check_excluded),
    ("carer_gender", check_carer_gender),
    ("after_dark", check_after_dark),
    ("window", check_window),
    ("duration", check_duration),
    ("sync", check_sync),
    ("gap", check_gap),
    ("shift", check_shift),
    ("travel", check_travel),
    ("timeline", check_timeline),
    ("break", check_break),
    ("max_visits", check_max_visits),
)


def check(problem: Problem, rota: Rota) -> CheckReport:
    """Every violation of ``rota`` against the day ``problem``, in rule order, and its KPIs.

    ``kpis["violations"]`` is the number of violations, so a summary carries it too.
    """
    facts = gather(problem, rota)
    violations = tuple(v for _, rule in RULES for v in rule(facts))
    kpis = compute_kpis(facts)
    kpis["violations"] = len(violations)
    return CheckReport(violations, kpis)
