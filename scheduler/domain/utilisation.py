"""Utilisation: one definition for the checker's figures, the ops pages and capacity runs.

**Utilisation** is clinician time spent visiting or driving (the return leg to the shift's
end place included) over the paid time of **every clinician on duty**, paid time being the
shift less its unpaid break. An idle shift counts: it is capacity paid for and not used, which
is exactly what an ops lead asking "how many patients can we take?" needs to see. Waiting
between visits is not utilisation. A double-handed visit counts once per clinician.
"""

from __future__ import annotations

from scheduler.domain.model import Shift


def paid_minutes(shift: Shift) -> int:
    """Shift length less the unpaid break, in whole minutes (real elapsed minutes)."""
    length = int((shift.end - shift.start).total_seconds() // 60)
    return length - (shift.rest_break.duration_min if shift.rest_break else 0)


def utilisation(visit_min: float, travel_min: float, paid_min: float) -> float | None:
    """(visit + travel minutes) / paid minutes; None when nobody was paid."""
    return (visit_min + travel_min) / paid_min if paid_min else None
