"""The domain of a Hospital at Home day: what is true whatever plans it.

- ``model``: visits, shifts, the problem, rotas — typed, frozen, validated on construction.
- ``formats``: the contract's files, read with file/row/column complaints and written all or
  nothing; ``careplan``: care plans expanded into the day's visits; ``synth``: the synthetic
  service the samples and benchmarks use; ``samples``: where the sample data lives.
- ``problem`` and ``travel`` (``travel_osm`` for road networks): a ready-to-solve day.
- ``check``: the independent checker; ``report``: the rota as HTML and text.
- ``timing``: the one rule that times a route; ``retime``: hand edits re-timed by it;
  ``replan``: what is frozen at a given time and how a re-plan is merged; ``diff``: what
  changed between two plans.
- ``capacity``: scenarios, simulated days and months, their figures and charts.

Nothing here imports the solver, the use cases, the web app or the command line.
"""
