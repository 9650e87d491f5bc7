"""scheduler.domain.timing: the one rule that times a route — just-in-time departure,
earliest starts, the break before the drive or at the door, lateness added up, and the
first gap with nothing late chosen for the break."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.domain.timing import BreakRule, Task, Workday, simulate, time_route, workday
from tests.support.factories import make_problem, shift, visit


def flat(minutes: int):
    """Every drive takes ``minutes`` (0 between a place and itself)."""
    return lambda a, b: 0 if a == b else minutes


DAY = Workday(start_loc=0, end_loc=0, start=480, end=960, rest=None)


def test_the_first_visit_is_driven_to_just_in_time_and_starts_at_its_window():
    stops, late = time_route(DAY, [Task(7, 1, 600, 660, 30)], flat(20))
    assert late == 0
    assert [(s.key, s.arrive, s.start, s.end, s.travel) for s in stops] == [(7, 600, 600, 630, 20)]


def test_a_visit_waits_for_its_window_and_a_late_one_is_counted():
    tasks = [Task(1, 1, 480, 600, 60), Task(2, 2, 700, 720, 30), Task(3, 3, 500, 520, 10)]
    stops, late = time_route(DAY, tasks, flat(10))
    starts = [s.start for s in stops]
    assert starts == [490, 700, 740]  # waits for 2's window; 3 starts 220 min past its end
    assert late == 740 - 520


def test_the_break_goes_before_the_drive_when_it_can_and_at_the_door_otherwise():
    rest = BreakRule(earliest=600, latest=660, duration=30)
    day = Workday(0, 0, 480, 960, rest)
    tasks = [Task(1, 1, 480, 960, 100), Task(2, 2, 700, 800, 20)]
    # Gap 1: done at 590, at visit 2's door at 600, the break's earliest is 600: so it is
    # taken at the door, and visit 2 waits for its window (700).
    stops, late = simulate(day, tasks, flat(10), 1)
    brk = next(s for s in stops if s.key is None)
    assert (brk.start, brk.end) == (600, 630) and late == 0
    second = stops[-1]
    assert second.start == 700 and second.arrive == 600  # arrived, then break, then waits
    # A break taken before the drive: with 30-minute drives visit 1 runs 510–610, the break
    # starts at 610, before she could reach visit 2 (640), so she drives after it (arriving
    # 670) and visit 2 starts at its window, 700.
    stops, late = simulate(day, tasks, flat(30), 1)
    assert [(s.key, s.arrive, s.start) for s in stops[1:]] == [(None, 610, 610), (2, 670, 700)]
    # The gap chosen is the first with nothing late: gap 0, before the first visit (she is
    # at its door at 490, takes the break there 600–630, and visit 1, open 480–960, starts
    # at 630).
    chosen, late0 = time_route(day, tasks, flat(10))
    assert late0 == 0 and chosen[0].key is None
    assert (chosen[1].arrive, chosen[1].start) == (490, 630)


def test_no_gap_without_lateness_gives_the_least_late():
    rest = BreakRule(earliest=480, latest=490, duration=60)
    day = Workday(0, 0, 480, 700, rest)
    tasks = [Task(1, 1, 480, 500, 60), Task(2, 1, 540, 560, 60)]
    _, late = time_route(day, tasks, flat(5))
    assert late > 0
    assert late == min(simulate(day, tasks, flat(5), g)[1] for g in range(3))


def test_lower_bounds_delay_a_visit():
    stops, late = time_route(DAY, [Task(4, 1, 480, 900, 30)], flat(10), {4: 650})
    assert stops[0].start == 650 and late == 0


def test_workday_rounds_the_shift_and_keeps_the_break_inside_it():
    problem = make_problem(
        [visit("A", 1, 0, "09:00", "10:00")],
        [shift("N1", "08:00", "12:00", brk=(30, "07:00", "12:00"))],
    )
    w = workday(problem, 0)
    assert (w.start, w.end) == (
        problem.minute(problem.shifts[0].start),
        problem.minute(problem.shifts[0].end),
    )
    assert w.rest is not None
    assert w.rest.earliest == w.start  # not before the shift starts
    assert w.rest.latest == w.end - 30  # ends by the shift's end


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(480, 800), st.integers(0, 120),
                  st.integers(5, 60)),
        min_size=1, max_size=6,
    ),
    st.integers(0, 30),
)  # fmt: skip
def test_starts_never_precede_windows_drives_or_the_previous_visit(rows, drive):
    tasks = [Task(i, loc, lo, lo + w, d) for i, (loc, lo, w, d) in enumerate(rows)]
    day = Workday(0, 0, 480, 1200, BreakRule(600, 720, 30))
    stops, late = time_route(day, tasks, flat(drive))
    visits = [s for s in stops if s.key is not None]
    assert [s.key for s in visits] == [t.key for t in tasks]
    free = day.start
    for s, t in zip(visits, tasks, strict=True):
        assert s.start >= t.earliest and s.end == s.start + t.duration
        assert s.start >= free
        free = s.end
    assert late >= sum(max(0, s.start - t.latest) for s, t in zip(visits, tasks, strict=True))
