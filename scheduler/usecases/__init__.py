"""The application: use cases, the only place that joins the formats, the solver and the
checker. The command line (``scheduler.cli``), the web app's jobs and the demo call these and
nothing else of the solver.

- ``plan_day``: solve a day and check it; from files to files for ``hah solve``.
- ``check_rota``: the independent checker on a rota from files (``hah check``).
- ``replan_day``: re-plan the rest of a day at a given time (``hah replan``).
- ``capacity``: census sweeps, the smallest roster, a simulated month.
"""
