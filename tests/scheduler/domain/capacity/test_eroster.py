"""The sample service's e-roster export (``scheduler.domain.capacity.eroster``): the bundled
file is what the generator makes, and reading it back gives each day exactly the shifts of
the persistent staff model, the roster met every day."""

from __future__ import annotations

from datetime import timedelta

from scheduler.domain.capacity.eroster import DAYS, FIRST_DAY, SEED, main, sample_eroster
from scheduler.domain.capacity.scenario import roster_of, sample_scenario
from scheduler.domain.capacity.staff import staff_pool
from scheduler.domain.formats.eroster import read_eroster
from scheduler.domain.samples import SAMPLE_DIR


def test_the_bundled_sample_eroster_is_what_the_generator_makes(tmp_path):
    assert main(["--out", str(tmp_path / "eroster.csv")]) == 0
    assert (tmp_path / "eroster.csv").read_text() == (SAMPLE_DIR / "eroster.csv").read_text()
    assert sample_eroster() == (SAMPLE_DIR / "eroster.csv").read_text()


def test_the_sample_eroster_reads_back_to_the_staff_models_shifts_every_day():
    export = read_eroster(SAMPLE_DIR / "eroster.csv")
    roster = sample_scenario().roster
    pool = staff_pool([roster], SEED)
    assert (export.first, export.last) == (FIRST_DAY, FIRST_DAY + timedelta(days=DAYS - 1))
    assert export.skipped and {code for code, _ in export.skipped} == {"STUDY"}
    ids = {m.clinician_id for m in pool.members}
    for day in export.days():
        shifts = sorted(export.shifts_on(day), key=lambda s: s.clinician_id)
        assert shifts == sorted(pool.shifts_on(day, roster), key=lambda s: s.clinician_id)
        assert roster_of(shifts) == roster  # 129 shifts, the sample day's mix, every day
        assert {s.clinician_id for s in shifts} <= ids
    # the same standing team: most of Monday's day staff are back on Tuesday
    monday = {s.clinician_id for s in export.shifts_on(FIRST_DAY)}
    tuesday = {s.clinician_id for s in export.shifts_on(FIRST_DAY + timedelta(days=1))}
    assert len(monday & tuesday) > len(monday) // 2
