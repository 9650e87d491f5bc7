"""The web app's application services: plain functions over a SQLAlchemy ``Session``.

Views stay thin and call these; these call the domain (``scheduler``) and the solver
(``solver``). Nothing in this package imports Flask, so every rule here (what may be
published, who may see which route, how a solve job reports) is testable without HTTP and
usable from the CLI or the job worker process.
"""
