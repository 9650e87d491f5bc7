"""The contract's files (``docs/formats.md``), one module per job; import from them directly.

- ``tabular``: reading a CSV file as people save it (BOM, ``;`` and decimal commas, blank
  lines) from a path or a ``CsvSource`` (bytes and a display name), and parsing its cells
  with file, row and column complaints (``Table``, ``RowReader``, ``read_table``).
- ``day``: a day's input, visits.csv and clinicians.csv, read, validated and cross-checked
  (``read_visits``, ``read_clinicians``, ``read_day``).
- ``eroster``: the e-roster's export, the staff on shift for weeks ahead (one row per
  duty), read into each planning day's shifts (``read_eroster``) and written
  (``eroster_text``).
- ``solution``: writing a rota's output files, all or nothing (``write_solution``,
  ``solution_files``).
- ``rota``: reading them back: a rota (``read_rota``), a previous plan's order for a warm
  start (``read_plan_order``, ``PreviousPlan``) and an exported travel
  matrix (``read_matrix``).
- ``fhir/``: FHIR R4 (UK Core) bundles: a caseload's Patient, CarePlan and ServiceRequest
  resources in (``read_bundle``, problems by file, entry and element), a rota's
  Appointments out (``appointments_bundle``).
"""
