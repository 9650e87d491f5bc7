"""The rota's figures (KPIs), recomputed from the problem, never from the rota's numbers."""

from __future__ import annotations

from scheduler.domain.check.facts import Facts, as_minutes
from scheduler.domain.utilisation import paid_minutes, utilisation


def compute_kpis(f: Facts) -> dict[str, int | float]:
    """The rota's figures, recomputed from the problem (never from the rota's own numbers).

    - ``travel_min_total``: over the routes with at least one visit, the matrix drive to each
      visit from the previous visit (or from the shift start place) **plus** the return leg
      from the last visit to the shift end place; ``travel_min_return`` is those return legs
      alone. Routes of unknown clinicians and stops of unknown visits are left out.
    - ``waiting_min_total``: Σ (start − arrive) over visit stops (a break taken at the next
      door counts as waiting there).
    - ``visit_min_total``: Σ visit durations over visit stops, so a double-handed visit counts
      once per clinician (it is clinician time).
    - ``utilisation``: ``scheduler.domain.utilisation``'s one definition, (visit + travel
      minutes) over the paid minutes of every clinician on shift, used or not; 0.0 with
      nobody on shift.
    - ``continuity_rate``: preferred_kept / preferred_total, or 1.0 when no placed visit names
      a preferred clinician.
    """
    p = f.problem
    placed = set(f.attendants)
    travel = back_total = waiting = visit_min = used = 0
    for rv in f.routes:
        if not rv.visit_stops:
            continue
        used += 1
        drive = sum(leg.drive for leg in rv.legs)  # includes the return leg
        minutes = sum(
            f.visit(s.visit_id).duration_min for s in rv.visit_stops if s.visit_id is not None
        )
        travel += drive
        back_total += rv.legs[-1].drive
        visit_min += minutes
        waiting += sum(max(0, int(as_minutes(s.start - s.arrive))) for s in rv.visit_stops)
    p1 = [v for v in p.visits if v.priority == 1]
    preferred = [v for v in p.visits if v.preferred_clinician and v.visit_id in placed]
    kept = sum(
        1 for v in preferred if any(c == v.preferred_clinician for c, _ in f.attendants[v.visit_id])
    )
    return {
        "visits_total": len(p.visits),
        "visits_assigned": len(placed),
        "visits_unassigned": len(p.visits) - len(placed),
        "priority1_total": len(p1),
        "priority1_assigned": sum(1 for v in p1 if v.visit_id in placed),
        "priority1_unassigned": sum(1 for v in p1 if v.visit_id not in placed),
        "double_handed_assigned": sum(1 for v in p.visits if v.staff == 2 and v.visit_id in placed),
        "travel_min_total": travel,
        "travel_min_return": back_total,
        "waiting_min_total": waiting,
        "visit_min_total": visit_min,
        "clinicians_on_shift": len(p.shifts),
        "clinicians_used": used,
        "preferred_total": len(preferred),
        "preferred_kept": kept,
        "continuity_rate": kept / len(preferred) if preferred else 1.0,
        "utilisation": utilisation(visit_min, travel, sum(paid_minutes(s) for s in p.shifts))
        or 0.0,
    }
