"""``CarePlan`` and ``ServiceRequest`` resources as the caseload's ``CarePlanItem`` rows.

A ServiceRequest is one regimen of one patient: which (its ``code``, ``codes``), how often and
from when (``occurrenceTiming.repeat``), until when (its bounds, within its CarePlan's
``period``), and through which line (``LINE_URL``, or "PICC" in ``bodySite`` or ``note``).
It belongs to a CarePlan that lists it in ``activity.reference`` or that it names in
``basedOn``; only active requests of active plans are read (a ServiceRequest of no plan is
read on its own). Every mapping and every refusal is in docs/formats.md, "FHIR bundles".

How often, from ``repeat``: ``frequency`` (default 1) times per ``period`` ``periodUnit``
(``min``, ``h``, ``d`` or ``wk``). An antibiotic's interval must come to 6, 8, 12 or 24 hours
(q6h…q24h) and its first dose is ``timeOfDay[0]``; observations, fluids and double-handed care
are so many times a day; bloods and a review, once a day. Whole days, local: a period's start
or end with a time of day is read as its date in Europe/London, and the regimen runs every
day from its start date to its end date, both included (as ``careplans.csv`` says).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from fractions import Fraction
from typing import Any

from scheduler.domain.careplan import CARE_WINDOWS, OBS_WINDOWS, REGIMENS, CarePlanItem
from scheduler.domain.formats.fhir.bundle import Bundle, Entry
from scheduler.domain.formats.fhir.codes import (
    LINE_URL,
    REGIMEN_SYSTEM,
    SNOMED_REGIMENS,
    SNOMED_SYSTEM,
    TEXT_REGIMENS,
    text_key,
)
from scheduler.domain.localtime import local

_HOURS = {"min": Fraction(1, 60), "h": Fraction(1), "d": Fraction(24), "wk": Fraction(168)}
_INTERVALS = {6: "q6h", 8: "q8h", 12: "q12h", 24: "q24h"}
_TIMES_A_DAY = {"obs": OBS_WINDOWS, "double_handed_care": CARE_WINDOWS, "iv_fluids": CARE_WINDOWS}
_DONE = {"completed", "cancelled", "stopped", "entered-in-error", "revoked"}


@dataclass(eq=False)
class Plan:
    """An active CarePlan: whose, and the days it covers (``None``: open)."""

    entry: Entry
    patient: Entry | None
    start: date | None
    end: date | None


@dataclass
class Membership:
    """The plans a ServiceRequest belongs to, and whether any of them is active."""

    plans: list[Plan] = field(default_factory=list)
    inactive: int = 0


def _day(value: Any, path: str, entry: Entry, bundle: Bundle) -> date | None:
    """A period's start or end as a local date; a partial date (``2026-11``) is refused."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return local(value).date()
    if isinstance(value, date):
        return value
    bundle.complain(entry, path, f"{value!r} is not a whole date: give the day (YYYY-MM-DD)")
    return None


def _period(period: Any, path: str, entry: Entry, bundle: Bundle) -> tuple[date | None, date | None]:
    if period is None:
        return None, None
    start = _day(period.start, f"{path}.start", entry, bundle)
    end = _day(period.end, f"{path}.end", entry, bundle)
    if start and end and end < start:
        bundle.complain(entry, f"{path}.end", f"the period ends ({end}) before it starts ({start})")
        return None, None
    return start, end


def _patient(reference: Any, path: str, entry: Entry, bundle: Bundle) -> Entry | None:
    ref = getattr(reference, "reference", None)
    if not ref:
        bundle.complain(entry, path, "names no patient (a reference to a Patient in the bundle)")
        return None
    found = bundle.resolve(ref)
    if found is None or found.resource_type != "Patient":
        bundle.complain(entry, f"{path}.reference", f"{ref} is not a Patient in the bundle")
        return None
    return found


def read_plans(bundle: Bundle) -> dict[str, Membership]:
    """The active CarePlans' activities, by the key of each ServiceRequest they name (in
    ``activity.reference``, or by the request's ``basedOn``); every activity of an active
    plan that names something else is reported (its visits are never silently left out)."""
    based_on: dict[int, list[Entry]] = {}  # a CarePlan entry's index → its requests by basedOn
    for sr in bundle.of_type("ServiceRequest"):
        for ref in getattr(sr.model, "basedOn", None) or []:
            target = bundle.resolve(ref.reference)
            if target is not None and target.resource_type == "CarePlan":
                based_on.setdefault(target.index, []).append(sr)
    members: dict[str, Membership] = {}
    for entry in bundle.of_type("CarePlan"):
        model = entry.model
        if model is None:
            continue
        if model.status != "active":
            named = [bundle.resolve(getattr(a.reference, "reference", None)) for a in model.activity or []]
            for target in [*named, *based_on.get(entry.index, [])]:
                if target is not None:
                    members.setdefault(target.key, Membership()).inactive += 1
            continue
        patient = _patient(model.subject, "subject", entry, bundle)
        start, end = _period(model.period, "period", entry, bundle)
        plan = Plan(entry, patient, start, end)
        for i, act in enumerate(model.activity or []):
            ref = getattr(act.reference, "reference", None)
            if ref is None:
                detail = act.detail
                if detail is not None and detail.status not in _DONE:
                    bundle.complain(entry, f"activity[{i}].detail", "an activity written inline (detail) is not read: describe the visits as a ServiceRequest and reference it")
                continue
            target = bundle.resolve(ref)
            if target is None:
                kind = ref.split("/")[-2] if "/" in ref else ""
                why = (f"{ref} is not in the bundle" if kind in ("", "ServiceRequest") or ref.startswith("urn:")
                       else f"{ref}: only ServiceRequest activities are read (describe the visits as ServiceRequests)")  # fmt: skip
                bundle.complain(entry, f"activity[{i}].reference", why)
            elif target.resource_type != "ServiceRequest":
                bundle.complain(entry, f"activity[{i}].reference", f"{ref} is a {target.resource_type}, not a ServiceRequest")
            else:
                members.setdefault(target.key, Membership()).plans.append(plan)
        for sr in based_on.get(entry.index, []):
            member = members.setdefault(sr.key, Membership())
            if all(p is not plan for p in member.plans):
                member.plans.append(plan)
    return members


def _regimen(model: Any, entry: Entry, bundle: Bundle) -> str | None:
    code = model.code
    if code is None:
        bundle.complain(entry, "code", "is required: it says which visit this is (a regimen)")
        return None
    found: dict[str, str] = {}
    for i, coding in enumerate(code.coding or []):
        if coding.system == REGIMEN_SYSTEM:
            if coding.code in REGIMENS:
                found[coding.code] = f"{coding.code}"
            else:
                bundle.complain(entry, f"code.coding[{i}].code", f"{coding.code!r} is not one of {', '.join(REGIMENS)}")
                return None
        elif coding.system == SNOMED_SYSTEM and coding.code in SNOMED_REGIMENS:
            found[SNOMED_REGIMENS[coding.code][0]] = f"SNOMED CT {coding.code}"
    if len(found) > 1:
        bundle.complain(entry, "code.coding", f"the codes name different regimens ({', '.join(sorted(found))})")
        return None
    if found:
        return next(iter(found))
    if code.text and text_key(code.text) in TEXT_REGIMENS:
        return TEXT_REGIMENS[text_key(code.text)]
    shown = "; ".join(f"{c.system or '?'} {c.code or '?'}" for c in code.coding or []) or repr(code.text or "")
    bundle.complain(entry, "code", f"no regimen for {shown}: code it with SNOMED CT ({', '.join(SNOMED_REGIMENS)}), the project's {REGIMEN_SYSTEM}, or a code.text such as 'IV antibiotics' (see docs/formats.md)")
    return None


def _hours(n: Fraction) -> str:
    return f"{float(n):g}"


@dataclass
class Timing:
    frequency: str = ""
    first_time: time | None = None
    run_hours: float | None = None
    start: date | None = None
    end: date | None = None
    ok: bool = True


def _timing(model: Any, regimen: str, entry: Entry, bundle: Bundle) -> Timing:
    out = Timing()
    before = len(bundle.issues)
    timing = model.occurrenceTiming
    if model.occurrencePeriod is not None:
        out.start, out.end = _period(model.occurrencePeriod, "occurrencePeriod", entry, bundle)
    if model.occurrenceDateTime is not None:
        day = _day(model.occurrenceDateTime, "occurrenceDateTime", entry, bundle)
        out.start = out.end = day
        if regimen in ("iv_antibiotic", "iv_fluids"):
            bundle.complain(entry, "occurrenceDateTime", f"{regimen} needs occurrenceTiming: how often, and the first dose's time of day")
    repeat = getattr(timing, "repeat", None)
    if timing is not None and repeat is None:
        bundle.complain(entry, "occurrenceTiming.repeat", "is required: how often (frequency, period, periodUnit)")
    if repeat is None:
        if regimen == "iv_antibiotic" and timing is None:
            bundle.complain(entry, "occurrenceTiming", "an antibiotic needs occurrenceTiming.repeat: how often and the first dose's time")
        out.ok = len(bundle.issues) == before
        return out
    path = "occurrenceTiming.repeat"
    if repeat.boundsPeriod is not None:
        out.start, out.end = _period(repeat.boundsPeriod, f"{path}.boundsPeriod", entry, bundle)
    for name in ("boundsDuration", "boundsRange"):
        if getattr(repeat, name) is not None:
            bundle.complain(entry, f"{path}.{name}", "is not read: give the regimen's dates as boundsPeriod")
    if repeat.dayOfWeek:
        bundle.complain(entry, f"{path}.dayOfWeek", "is not read: every regimen is planned every day of its period")
    interval = _interval(repeat, path, regimen, entry, bundle)
    if interval is not None:
        out.frequency = _frequency(interval, regimen, path, entry, bundle)
    times = list(repeat.timeOfDay or [])
    if regimen in ("iv_antibiotic", "iv_fluids") and times:
        first = times[0]
        out.first_time = time(first.hour, first.minute)
        step = 12 if regimen == "iv_fluids" else (int(out.frequency[1:-1]) if out.frequency else None)
        for i, t in enumerate(times[1:], start=1):
            gap = (t.hour * 60 + t.minute - first.hour * 60 - first.minute) % 1440
            if step and gap % (step * 60):
                bundle.complain(entry, f"{path}.timeOfDay[{i}]", f"{t:%H:%M} is not a whole number of {step} h from the first time ({first:%H:%M})")
    elif regimen == "iv_antibiotic":
        bundle.complain(entry, f"{path}.timeOfDay", "an antibiotic needs its first dose time (timeOfDay, hh:mm:ss)")
    if regimen == "iv_fluids" and repeat.duration is not None:
        unit = _HOURS.get(repeat.durationUnit or "")
        hours = Fraction(Decimal(str(repeat.duration))) * unit if unit else None
        if hours is None:
            bundle.complain(entry, f"{path}.durationUnit", f"{repeat.durationUnit!r}: how long a bag runs is given in min or h")
        elif not 0 < hours <= 24:
            bundle.complain(entry, f"{path}.duration", f"{_hours(hours)} h: a bag runs more than 0 and at most 24 hours")
        else:
            out.run_hours = float(hours)
    out.ok = len(bundle.issues) == before
    return out


def _interval(repeat: Any, path: str, regimen: str, entry: Entry, bundle: Bundle) -> Fraction | None:
    """Hours between two visits, from ``frequency`` per ``period periodUnit``."""
    if repeat.period is None:
        if regimen == "iv_antibiotic" or repeat.frequency is not None:
            bundle.complain(entry, f"{path}.period", "is required: how often is frequency per period periodUnit (e.g. 1 per 8 h)")
        return None
    unit = _HOURS.get(repeat.periodUnit or "")
    if unit is None:
        bundle.complain(entry, f"{path}.periodUnit", f"{repeat.periodUnit!r} is not min, h, d or wk")
        return None
    period = Fraction(Decimal(str(repeat.period)))
    if period <= 0:
        bundle.complain(entry, f"{path}.period", f"{repeat.period} is not a positive period")
        return None
    return period * unit / (repeat.frequency or 1)


def _frequency(interval: Fraction, regimen: str, path: str, entry: Entry, bundle: Bundle) -> str:
    if regimen == "iv_antibiotic":
        if interval in _INTERVALS:
            return _INTERVALS[int(interval)]
        bundle.complain(entry, f"{path}.period", f"a dose every {_hours(interval)} h is not q6h, q8h, q12h or q24h")
        return ""
    per_day = Fraction(24) / interval
    if regimen in _TIMES_A_DAY:
        allowed = sorted(_TIMES_A_DAY[regimen])
        if per_day.denominator == 1 and int(per_day) in allowed:
            return str(int(per_day))
        bundle.complain(entry, f"{path}.frequency", f"{_hours(per_day)} times a day: {regimen} is {', '.join(map(str, allowed))} times a day")
        return ""
    if per_day != 1:
        bundle.complain(entry, f"{path}.frequency", f"{_hours(per_day)} times a day: {regimen} is once a day")
    return ""


def _line(model: Any, entry: Entry, bundle: Bundle) -> str:
    for i, ext in enumerate(model.extension or []):
        if ext.url == LINE_URL:
            code = (ext.valueCode or "").strip().lower()
            if code not in ("picc", "peripheral"):
                bundle.complain(entry, f"extension[{i}].valueCode", f"{ext.valueCode!r} is not picc or peripheral")
                return "peripheral"
            return code
    texts = [s.text or "" for s in model.bodySite or []]
    texts += [c.display or "" for s in model.bodySite or [] for c in s.coding or []]
    texts += [n.text or "" for n in model.note or []]
    said = " ".join(texts).lower()
    return "picc" if "picc" in said or "peripherally inserted central" in said else "peripheral"


def _dates(timing: Timing, plan: Plan | None) -> tuple[date | None, date | None]:
    starts = [d for d in (timing.start, plan.start if plan else None) if d is not None]
    ends = [d for d in (timing.end, plan.end if plan else None) if d is not None]
    return (max(starts) if starts else None), (min(ends) if ends else None)


def read_requests(bundle: Bundle, members: dict[str, Membership]) -> list[CarePlanItem]:
    """Every active ServiceRequest of an active plan (or of none) as a care plan item."""
    items: list[CarePlanItem] = []
    for entry in bundle.of_type("ServiceRequest"):
        model = entry.model
        member = members.get(entry.key, Membership())
        if model is None or model.status != "active" or model.doNotPerform:
            continue
        if member.inactive and not member.plans:
            continue  # the request of a finished (or paused) plan
        before = len(bundle.issues)
        patient = _patient(model.subject, "subject", entry, bundle)
        plan = member.plans[0] if member.plans else None
        for other in member.plans:
            if patient is not None and other.patient is not None and other.patient is not patient:
                bundle.complain(entry, "subject", f"is {patient.key}, but {other.entry.label} is {other.patient.key}'s")
        regimen = _regimen(model, entry, bundle)
        if regimen is None:
            continue
        timing = _timing(model, regimen, entry, bundle)
        start, end = _dates(timing, plan)
        if start and end and end < start and timing.ok and plan is not None:
            bundle.complain(entry, "occurrenceTiming.repeat.boundsPeriod", f"the regimen's days lie outside {plan.entry.label}'s period ({plan.start} to {plan.end})")
        line = _line(model, entry, bundle) if regimen in ("iv_antibiotic", "iv_fluids") else "peripheral"
        if len(bundle.issues) > before or patient is None or patient.id is None:
            continue
        items.append(
            CarePlanItem(
                patient_id=patient.id,
                regimen=regimen,
                frequency=timing.frequency,
                first_time=timing.first_time,
                run_hours=timing.run_hours,
                line=line,
                start_date=start,
                end_date=end,
            )
        )
    return items
