"""Capacity questions in domain terms: scenarios (census, regimen mix, roster), the simulated
days and months they give, a solved day's figures, summaries against a service level, and
the charts. Solving them is the use cases' job (``scheduler.usecases.capacity``)."""
