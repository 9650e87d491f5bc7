"""The web app: ``create_app()`` builds a Flask app over the scheduler and the solver.

One blueprint per audience (``auth``, ``coordinator``, ``nurse``, ``ops``) plus the JSON
``api`` and the probes (``health``: ``/healthz``, ``/readyz``, ``/metrics``); views are thin
over ``web.services``. The database schema is brought to Alembic's head on start when
``HAH_MIGRATE`` is on (the default for a single process; ``hah serve`` migrates once in
gunicorn's master instead and turns it off in the workers, and ``hah db upgrade`` is the
step of its own), so a fresh SQLite file or an empty PostgreSQL database is ready to use.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, redirect, url_for

from scheduler.domain.localtime import hm as clock
from web import config as _config
from web.compress import init_compression
from web.db import Database, upgrade
from web.errors import init_errors
from web.models import local
from web.security import check_every_view_guarded, current_user, init_security, public
from web.services.event_jobs import make_event_runner
from web.services.jobs import make_runner
from web.sessions import DatabaseSessionInterface


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` overrides the environment (tests pass ``DATABASE_URL``,
    ``TESTING`` and ``SECRET_KEY`` here)."""
    app = Flask(__name__, instance_path=str(_config.INSTANCE_DIR))
    app.config.update(_config.from_env(config))
    url = app.config["DATABASE_URL"]
    if app.config["HAH_MIGRATE"]:
        upgrade(url)
    database = Database(url)
    app.extensions["hah_db"] = database
    app.extensions["hah_queue"] = _config.queue_settings(app.config)
    app.extensions["hah_runner"] = app.config.get("HAH_RUNNER") or make_runner(
        app.config["HAH_JOB_RUNNER"], database.url, app.extensions["hah_queue"]
    )
    app.extensions["hah_event_runner"] = app.config.get("HAH_EVENT_RUNNER") or make_event_runner(
        app.config["HAH_JOB_RUNNER"], database.url, app.extensions["hah_queue"]
    )
    hops = int(app.config.get("HAH_PROXY_HOPS") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Flask types wsgi_app as a method; replacing it with middleware is its documented use
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )
    init_errors(app)  # before the blueprints: their rules bind the bounded id converter
    init_compression(app)  # registered first, so it runs last
    app.session_interface = DatabaseSessionInterface()
    init_security(app)
    from web.observability import init_observability

    init_observability(app)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    from web import (
        accounts,
        api,
        auth,
        capacity,
        caseload,
        caseload_api,
        coordinator,
        fhir_api,
        health,
        history,
        live,
        nurse,
        oidc,
        ops,
        roster,
        roster_api,
    )

    for module in (auth, oidc, coordinator, caseload, roster, history, nurse, ops, capacity, api,
                   live, health, accounts):  # fmt: skip
        app.register_blueprint(module.bp)
    app.register_blueprint(accounts.api_bp)
    app.register_blueprint(caseload_api.bp)
    app.register_blueprint(roster_api.bp)
    app.register_blueprint(fhir_api.bp)

    @app.route("/")
    @public
    def index():
        user = current_user()
        if user is None:
            return redirect(url_for("auth.login"))
        return redirect(auth.home_url(user.role))

    @app.template_filter("hm")
    def _hm(value) -> str:
        """A stored UTC stamp (or a rota moment) as local date and time (Europe/London)."""
        return "" if value is None else local(value).strftime("%Y-%m-%d %H:%M")

    @app.template_filter("clock")
    def _clock(value) -> str:
        """A moment (aware) or a stored stamp (naive UTC) as local ``HH:MM``: the one way a
        page shows a time of day."""
        return "" if value is None else clock(local(value))

    check_every_view_guarded(app)
    return app
