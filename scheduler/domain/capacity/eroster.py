"""A synthetic e-roster export for the bundled sample service: a week of its standing team.

The web app plans a day from the caseload with the staff on shift that the e-roster says
(``scheduler.domain.formats.eroster``); the demo needs an export to upload, and the tests one
to read. It is made from the caseload's persistent staff (``staff.StaffPool``): the sample
service's roster (``scenario.sample_scenario``, its 129 shifts a day) met every day by the
same invented clinicians, ids ``S001``…, each working their blocks of days. A clinician free
on a working day of her pattern (a spare the roster did not need) is on a study day that day
(duty code ``STUDY``): the export then has rows that are not working duties, as a real one
has, and they put nobody on shift.

Regenerate ``sample_data/eroster.csv`` exactly (a test checks it is what this makes)::

    python -m scheduler.domain.capacity.eroster --out sample_data/eroster.csv
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from pathlib import Path

from scheduler.domain.capacity.scenario import Roster, sample_scenario
from scheduler.domain.capacity.staff import StaffPool, staff_pool
from scheduler.domain.careplan import write_text
from scheduler.domain.formats.eroster import absence_cells, duty_cells, eroster_text

#: The sample export's first day (the sample day, a Monday), length and team seed.
FIRST_DAY = date(2026, 11, 23)
DAYS = 7
SEED = 2026


def eroster_rows(pool: StaffPool, roster: Roster, first: date, days: int) -> list[list[object]]:
    """Each day's duties (``pool.on_shift``: the roster met exactly) and its study days."""
    rows: list[list[object]] = []
    for n in range(days):
        day = first + timedelta(days=n)
        on = pool.on_shift(day, roster)
        working = {m.clinician_id for m, _ in on}
        rows += [duty_cells(m.shift(day, kind)) for m, kind in on]
        spare = [m for m in pool.members if m.available(day) and m.clinician_id not in working]
        rows += [absence_cells(m.clinician_id, m.name, m.role, day, "STUDY") for m in spare]
    return rows


def sample_eroster(first: date = FIRST_DAY, days: int = DAYS, seed: int = SEED) -> str:
    """The sample service's e-roster export for ``days`` days from ``first``, as text."""
    roster = sample_scenario().roster
    return eroster_text(eroster_rows(staff_pool([roster], seed), roster, first, days))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the sample service's e-roster export.")
    parser.add_argument("--first", default=f"{FIRST_DAY}", help="first day, YYYY-MM-DD")
    parser.add_argument("--days", type=int, default=DAYS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", default="sample_data/eroster.csv")
    args = parser.parse_args(argv)
    text = sample_eroster(date.fromisoformat(args.first), args.days, args.seed)
    write_text(Path(args.out), text)
    print(f"{args.out}: {text.count(chr(10)) - 1} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
