"""Hospital at Home scheduling: the domain, its formats, travel times, care plans and checker.

Nothing in this package imports the solver or the web app; the arrows point inward.
"""
