"""Hospital at Home scheduling, in three layers (docs/architecture.md):

- ``scheduler.domain``: the day as typed data, its file formats, care plans, travel times,
  the independent checker, reports, the timing rule and re-timing, capacity scenarios and
  figures. It imports nothing of ``solver``, ``web`` or the layers above it.
- ``scheduler.usecases``: planning a day, checking a rota, re-planning the rest of a day,
  capacity runs — the only place that joins the formats, the solver and the checker.
- ``scheduler.cli``: the ``hah`` command line, which parses, calls a use case and prints.

The import contracts in pyproject.toml (``lint-imports``, run by ``make test``) hold the
arrows to this shape.
"""
