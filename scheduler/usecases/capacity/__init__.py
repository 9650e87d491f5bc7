"""Capacity questions for ops leads, answered by solving many synthetic days with the real
solver: how many patients a roster carries (``sweep``), the smallest roster for a census
(``roster``), and a month of admissions and discharges (``month``).

``scenario`` says what is simulated, ``days`` makes the days, ``metrics`` measures a solved
day, ``executor`` runs many solves (a local process pool, or Ray), ``plots`` draws them.
"""
