"""Capacity questions for ops leads, answered by solving many synthetic days with the real
solver: how many patients a roster carries (``sweep``), the smallest roster for a census
(``roster_cp``: a CP-SAT covering model verified by solving; ``roster``: the old search),
and a month of admissions and discharges (``month``).

These use cases solve; what they solve and how it is judged is domain
(``scheduler.domain.capacity``: ``scenario`` says what is simulated, ``days`` and
``admissions`` make the days, ``metrics`` measures a solved day, ``summary`` and
``month_report`` answer, ``plots`` draws). Here: every day planned through ``plan_day``,
``executor`` runs many solves (a local process pool, or Ray), ``store`` keeps every solved
day so a run resumes. Nothing here prints (the command line is ``scheduler.cli.capacity``
and ``scheduler.cli.simulate``).
"""
