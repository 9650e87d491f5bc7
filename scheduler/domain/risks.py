"""What a patient's risk flags do to her visits (``model.RISK_FLAGS``).

Two flags change the plan; the rest only travel with each visit to the nurse's phone:

- ``two_staff``: every visit is double-handed (``staff`` 2). A ``Visit`` with the flag and
  one staff is refused on construction (``model.visit_problems``).
- ``no_lone_after_dark``: no nurse is with the patient alone after civil dusk or before civil
  dawn at the patient's home on that date (``daylight``). A visit that could be (some start
  in its window would have the nurse there in the dark) has its window trimmed to the part
  that keeps the whole visit in the light when that part can still hold it — a 16:00 dose
  ±30 min in December, 30 min long, with dusk at 16:33, may start 15:30–16:03 — and
  otherwise (a 22:00 or 06:00 dose, an evening obs round in winter) becomes double-handed.
  Trimming comes first because a second nurse is the scarcest thing on a night shift; the
  trimmed window is still inside the one the care plan gave, so the clinical tolerance holds.

The care-plan expansion applies these (``careplan``); a visits.csv written by hand that
breaks them is refused by its reader with ``after_dark_problem``'s words; the checker tests
every rota against the same rule, stated on its own (``check.visit_rules.check_after_dark``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from scheduler.domain.daylight import in_light, light_window
from scheduler.domain.localtime import hm
from scheduler.domain.model import Visit, Window

NO_LONE_AFTER_DARK = "no_lone_after_dark"
TWO_STAFF = "two_staff"


def could_be_alone_in_dark(visit: Visit) -> bool:
    """A lone visit of a ``no_lone_after_dark`` patient some start of whose window would have
    the nurse there in the dark."""
    if NO_LONE_AFTER_DARK not in visit.risk_flags or visit.staff != 1:
        return False
    end = visit.window.end + timedelta(minutes=visit.duration_min)
    return not in_light(visit.location, visit.window.start, end)


def keep_out_of_dark(visit: Visit) -> Visit:
    """The visit as ``no_lone_after_dark`` plans it: unchanged when it cannot be alone in the
    dark, its window trimmed to the light when the light part can hold it, else
    double-handed."""
    if not could_be_alone_in_dark(visit):
        return visit
    light = light_window(visit.location, visit.window.start, visit.window.end,
                         visit.duration_min)  # fmt: skip
    if light is None:
        return replace(visit, staff=2)
    return replace(visit, window=Window(*light))


def after_dark_problem(visit: Visit) -> str | None:
    """Why a visit breaks ``no_lone_after_dark`` as given (a hand-made visits.csv), with the
    fix, or ``None``."""
    if not could_be_alone_in_dark(visit):
        return None
    light = light_window(visit.location, visit.window.start, visit.window.end,
                         visit.duration_min)  # fmt: skip
    fix = (f"start it {hm(light[0])}–{hm(light[1])} or set staff 2" if light is not None
           else "set staff 2")  # fmt: skip
    return (f"the patient's risk flag no_lone_after_dark: a lone visit in the window "
            f"{visit.window.label()} could be there after dark; {fix}")  # fmt: skip
