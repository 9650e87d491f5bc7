"""A capacity scenario: a patient census, a staff roster and a travel model.

Written as TOML (``tomllib`` reads it; no new dependency) so an ops lead can copy the
sample and change a number::

    name = "Sample service"
    date = "2026-11-23"
    [census]
    sizes = [150, 200, 250, 300, 350, 400]
    antibiotic_share = 0.82
    frequency = { q6h = 15, q8h = 35, q12h = 30, q24h = 20 }
    [roster]                     # shift type → grade → clinicians on that shift
    early = { HCA = 19, RN5 = 13, RN6 = 11, AP = 3 }
    long  = { HCA = 5, RN5 = 3, RN6 = 3, AP = 3 }
    late  = { HCA = 10, RN5 = 13, RN6 = 10 }
    night = { RN5 = 13, RN6 = 9 }
    [travel]
    circuity = 1.3

Shift types are the synthetic service's (``scheduler.domain.synth.SHIFT_TYPES``: early 07:00–15:00,
long 08:00–20:00, late 14:30–22:30, night 21:00–07:30); grades are HCA, RN5, RN6 and AP with
the skills of ``scheduler.domain.synth.ROLE_SKILLS``. Geography is the county's towns weighted by
population, with some rural lanes, as in the sample.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path

from scheduler.domain.errors import InputError, InputIssue
from scheduler.domain.localtime import local
from scheduler.domain.model import Shift
from scheduler.domain.samples import SAMPLE_DIR
from scheduler.domain.synth import ROLE_SKILLS, SHIFT_TYPES, RegimenMix

SAMPLE_CLINICIANS = SAMPLE_DIR / "clinicians.csv"
#: The most clinicians of one grade on one shift type a scenario may ask for (the sample
#: service has 129 shifts in all): a bigger number is a typo, and would build a day nobody
#: could solve.
MAX_ON_SHIFT = 500

Roster = dict[str, dict[str, int]]


@dataclass(frozen=True)
class Census:
    """Patients on the ward and what they need."""

    sizes: tuple[int, ...] = (150, 200, 250, 300, 350, 400)
    mix: RegimenMix = field(default_factory=RegimenMix)


@dataclass(frozen=True)
class Scenario:
    name: str
    day: date
    census: Census
    roster: Roster
    circuity: float = 1.3

    def key(self) -> str:
        """A short hash of everything that changes results (not the sizes asked for), so
        stored results are only re-used for the same scenario."""
        data = {
            "day": self.day.isoformat(),
            "mix": asdict(self.census.mix),
            "roster": {k: dict(sorted(v.items())) for k, v in sorted(self.roster.items())},
            "circuity": self.circuity,
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:12]

    def with_roster(self, roster: Roster) -> Scenario:
        return replace(self, roster=clean_roster(roster))

    def clinicians(self) -> int:
        return sum(sum(r.values()) for r in self.roster.values())

    def paid_hours(self) -> float:
        return sum(
            count * paid_minutes(kind) / 60
            for kind, roles in self.roster.items()
            for count in roles.values()
        )


def paid_minutes(kind: str) -> float:
    start, end, brk, _ = SHIFT_TYPES[kind]
    return (end - start) * 60 - brk


def clean_roster(roster: Roster) -> Roster:
    """Only known shift types and grades, no zero cells, in a fixed order."""
    out: Roster = {}
    for kind in SHIFT_TYPES:
        cells = {r: int(n) for r, n in sorted(roster.get(kind, {}).items()) if int(n) > 0}
        if cells:
            out[kind] = cells
    return out


def roster_text(roster: Roster) -> str:
    """``early HCA 19, RN5 13 · late …``: a roster on one line."""
    return " · ".join(
        f"{kind} " + ", ".join(f"{r} {n}" for r, n in roles.items())
        for kind, roles in clean_roster(roster).items()
    )


def shift_kind(shift: Shift) -> str:
    """Which of the synthetic service's shift types a shift is (by its local start hour)."""
    start = local(shift.start)
    start_h = start.hour + start.minute / 60
    return min(SHIFT_TYPES, key=lambda k: abs(SHIFT_TYPES[k][0] - start_h))


def roster_of(shifts: list[Shift] | tuple[Shift, ...]) -> Roster:
    counts = Counter((shift_kind(s), s.role) for s in shifts)
    roster: Roster = {}
    for (kind, role), n in counts.items():
        roster.setdefault(kind, {})[role] = n
    return clean_roster(roster)


def sample_scenario() -> Scenario:
    """The bundled sample service: its roster (sample_data/clinicians.csv, 129 shifts) and
    its regimen mix, at census sizes around its 250 patients."""
    from scheduler.domain.formats.day import read_clinicians

    shifts = read_clinicians(SAMPLE_CLINICIANS)
    return Scenario("Sample service", date(2026, 11, 23), Census(), roster_of(shifts))


def load_scenario(path: str | Path) -> Scenario:
    """A scenario from a TOML file; every problem reported at once (file, key, why), the
    file named as given. Its name defaults to the file's stem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([InputIssue(str(path), None, None, f"cannot read: {exc}")]) from exc
    return scenario_from_text(text, str(path))


def scenario_from_text(text: str, name: str) -> Scenario:
    """A scenario from TOML text; every problem reported at once as ``name``, key, why.
    ``name`` is the file (or upload) the text came from; the scenario's own name, if the
    TOML gives none, is its stem (``s.toml`` → ``s``)."""
    issues: list[InputIssue] = []

    def bad(key: str, why: str) -> None:
        issues.append(InputIssue(name, None, key, why))

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError([InputIssue(name, None, None, f"not valid TOML: {exc}")]) from exc
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        why = "not valid TOML: nested too deeply"
        raise InputError([InputIssue(name, None, None, why)]) from None
    for table in ("census", "roster", "travel"):
        if table in data and not isinstance(data[table], dict):
            why = f"a table ([{table}]), not {data[table]!r:.40}"
            raise InputError([InputIssue(name, None, table, why)])
    base = sample_scenario()
    title = str(data.get("name", Path(name).stem))
    day = base.day
    if "date" in data:
        try:
            day = date.fromisoformat(str(data["date"]))
        except ValueError:
            bad("date", f"{data['date']!r} is not a date (YYYY-MM-DD)")
    census_d = data.get("census", {})
    sizes = census_d.get("sizes", list(base.census.sizes))
    if (
        not isinstance(sizes, list)
        or not sizes
        or not all(isinstance(n, int) and 1 <= n <= 2000 for n in sizes)
    ):
        bad("census.sizes", "a list of whole numbers of patients between 1 and 2000")
        sizes = list(base.census.sizes)
    mix = base.census.mix
    try:
        freq = census_d.get("frequency")
        mix = RegimenMix(
            float(census_d.get("antibiotic_share", mix.antibiotic_share)),
            tuple((str(k), float(v)) for k, v in freq.items()) if freq else mix.frequency_weights,
        )
    except (ValueError, TypeError, AttributeError) as exc:
        bad("census", str(exc))
    roster_d = data.get("roster")
    roster = base.roster
    if roster_d is not None:
        roster = {}
        for kind, roles in roster_d.items():
            if kind not in SHIFT_TYPES:
                bad(f"roster.{kind}", f"unknown shift type; use {', '.join(SHIFT_TYPES)}")
                continue
            if not isinstance(roles, dict):
                bad(f"roster.{kind}", "a table of grade = clinicians")
                continue
            for role, n in roles.items():
                if role not in ROLE_SKILLS:
                    bad(f"roster.{kind}.{role}", f"unknown grade; use {', '.join(ROLE_SKILLS)}")
                elif not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= MAX_ON_SHIFT:
                    why = f"a whole number of clinicians from 0 to {MAX_ON_SHIFT}"
                    bad(f"roster.{kind}.{role}", why)
                else:
                    roster.setdefault(kind, {})[role] = n
        if not issues and not clean_roster(roster):
            bad("roster", "nobody is on shift")
    circuity = data.get("travel", {}).get("circuity", 1.3)
    if not isinstance(circuity, int | float) or not 1.0 <= circuity <= 10.0:
        why = "a number from 1 to 10 (roads are never shorter than the straight line)"
        bad("travel.circuity", why)
        circuity = 1.3
    if issues:
        raise InputError(issues)
    return Scenario(title, day, Census(tuple(sizes), mix), clean_roster(roster), float(circuity))


def scenario_toml(s: Scenario) -> str:
    """The scenario written back as TOML (what ``hah capacity sample-scenario`` prints)."""
    lines = [f'name = "{s.name}"', f'date = "{s.day.isoformat()}"', "", "[census]",
             f"sizes = [{', '.join(str(n) for n in s.census.sizes)}]",
             f"antibiotic_share = {s.census.mix.antibiotic_share}",
             "frequency = { " + ", ".join(f"{k} = {v:g}" for k, v in s.census.mix.frequency_weights)
             + " }", "", "[roster]  # shift type → grade → clinicians"]  # fmt: skip
    for kind, roles in s.roster.items():
        lines.append(f"{kind} = {{ " + ", ".join(f"{r} = {n}" for r, n in roles.items()) + " }")
    lines += ["", "[travel]", f"circuity = {s.circuity}", ""]
    return "\n".join(lines)
