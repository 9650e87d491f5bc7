"""The ops lead's capacity sweeps and simulated months: start one, watch its progress, read the
answer and charts.

``/ops/capacity/`` lists the runs and has the form (census sizes, seeds, seconds per day, the
service level, an optional scenario in TOML with the sample service as the default, and the
model: one-day draws, or the caseload model with its days per seed and continuity, fixed or
learned, as ``hah capacity sweep --caseload``);
``/ops/capacity/<id>`` shows a run's progress (``static/capacity.js`` polls
``/api/capacity/<id>`` every 2 s) and, when it has ended, the results per census, the
answer ("This roster carries N patients …") and two charts drawn server-side as SVG by
``scheduler.domain.capacity.plots``. A second form simulates a month (``kind=month``: days, target
census, mean length of stay, seconds per day, scenario, the caseload model and continuity);
its run page shows the month's totals (and continuity over the stays on the caseload model),
the month chart (``…/chart/month.svg``) and a table of the days. The work is
``web.services.capacity``; the sweep or month runs in a worker process
(``hah worker``, from the Redis queue), one run at a time.
"""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from scheduler.domain.capacity.caseload_sweep import DEFAULT_DAYS
from web.models import CapacityRun
from web.security import client_ip, current_user, db_session, roles
from web.services.capacity import (
    ACTIVE,
    DEFAULTS,
    MONTH_DEFAULTS,
    CapacityError,
    ParamsError,
    chart_svg,
    charts_available,
    charts_of,
    has_results,
    kind_of,
    make_capacity_runner,
    parse_any,
    recent_runs,
    request_stop,
    run_status,
    sample_toml,
    start_run,
)
from web.views import submit

bp = Blueprint("capacity", __name__, url_prefix="/ops/capacity")

SAMPLE_SIZES = "150, 200, 250, 300, 350, 400"


@bp.record_once
def _make_runner(state) -> None:
    """The sweeps' runner, of the same kind as the solve jobs' (``HAH_JOB_RUNNER``); a test
    may pass its own as ``HAH_CAPACITY_RUNNER``."""
    app = state.app
    app.extensions["hah_capacity_runner"] = app.config.get("HAH_CAPACITY_RUNNER") or (
        make_capacity_runner(app.config["HAH_JOB_RUNNER"], app.extensions["hah_db"].url,
                             app.extensions.get("hah_queue"))
    )


def capacity_runner():
    return current_app.extensions["hah_capacity_runner"]


def results_base() -> Path:
    """Where runs keep their day results: ``capacity/`` in the instance folder."""
    base = current_app.config.get("INSTANCE_DIR") or current_app.instance_path
    return Path(base) / "capacity"


def workers() -> int:
    return int(current_app.config.get("HAH_CAPACITY_WORKERS", 1) or 1)


def start_from(data) -> tuple[CapacityRun | None, int, list[str]]:
    """Validate and start a run (a sweep, or a month with ``kind=month``): (run, 202, []) or
    (None, 422 / 409, messages)."""
    s = db_session()
    try:
        params = parse_any(data, workers=workers())
        if current_app.config.get("HAH_RAY_ADDRESS"):
            params["ray_address"] = current_app.config["HAH_RAY_ADDRESS"]
        run = start_run(s, params, current_user(), results_base(), client_ip())
    except ParamsError as err:
        return None, 422, err.messages
    except CapacityError as err:
        s.commit()  # keeps an abandoned run marked failed
        return None, 409, [str(err)]
    s.commit()
    refused = submit(capacity_runner(), s, run)
    if refused:
        return None, 503, [refused]
    return run, 202, []


def _form_defaults() -> dict:
    return {
        "sizes": SAMPLE_SIZES,
        "seeds": DEFAULTS["seeds"],
        "time_limit_s": int(DEFAULTS["time_limit_s"]),
        "p1_percent": int(DEFAULTS["p1_percent"]),
        "placed_percent": int(DEFAULTS["placed_percent"]),
        "days_percent": int(DEFAULTS["days_percent"]),
        "scenario": sample_toml(),
        "caseload": "",
        "caseload_days": DEFAULT_DAYS,
        "continuity": "fixed",
    }


def _month_form_defaults() -> dict:
    return {
        "days": MONTH_DEFAULTS["days"],
        "census": MONTH_DEFAULTS["census"],
        "mean_stay_days": f"{MONTH_DEFAULTS['mean_stay_days']:g}",
        "time_limit_s": int(MONTH_DEFAULTS["time_limit_s"]),
        "p1_percent": int(MONTH_DEFAULTS["p1_percent"]),
        "placed_percent": int(MONTH_DEFAULTS["placed_percent"]),
        "scenario": sample_toml(),
        "caseload": "",
        "continuity": "fixed",
    }


def _index(form: dict, errors: list[str], status: int = 200, *, month_form: dict | None = None,
           month_errors: list[str] | None = None):  # fmt: skip
    s = db_session()
    runs = [run_status(r) | {"created": r.created_at} for r in recent_runs(s)]
    active = next((r for r in runs if r["state"] in ACTIVE), None)
    page = render_template("capacity/index.html", runs=runs, active=active, form=form,
                           errors=errors, month_form=month_form or _month_form_defaults(),
                           month_errors=month_errors or [])  # fmt: skip
    return page, status


@bp.route("/")
@roles("ops")
def index():
    return _index(_form_defaults(), [])


@bp.route("/", methods=["POST"])
@roles("ops")
def start():
    run, status, messages = start_from(request.form)
    if run is None:
        if request.form.get("kind") == "month":
            typed = {k: request.form.get(k, "") for k in _month_form_defaults()}
            month_form = _month_form_defaults() | typed
            return _index(_form_defaults(), [], status, month_form=month_form,
                          month_errors=messages)  # fmt: skip
        form = _form_defaults() | {k: request.form.get(k, "") for k in _form_defaults()}
        return _index(form, messages, status)
    flash(f"Capacity run {run.id} started.", "ok")
    return redirect(url_for("capacity.run", run_id=run.id))


def _run_or_404(run_id: int) -> CapacityRun:
    return db_session().get(CapacityRun, run_id) or abort(404)


@bp.route("/<int:run_id>")
@roles("ops")
def run(run_id: int):
    r = _run_or_404(run_id)
    status = run_status(r)
    if kind_of(r.params) == "month":
        return render_template(
            "capacity/month.html",
            run=status,
            active=status["state"] in ACTIVE,
            charts=charts_available() and has_results(r),
        )
    census = (r.results or {}).get("census", [])
    return render_template(
        "capacity/run.html",
        run=status,
        grades=sorted({g for c in census for g in c["utilisation"]}),
        active=status["state"] in ACTIVE,
        charts=charts_available() and bool(r.results and r.results.get("census")),
    )


@bp.route("/<int:run_id>/stop", methods=["POST"])
@roles("ops")
def stop(run_id: int):
    s = db_session()
    r = _run_or_404(run_id)
    try:
        done = request_stop(s, r, current_user(), client_ip())
    except CapacityError as err:
        flash(str(err), "error")
    else:
        s.commit()
        if done == "cancelled":
            capacity_runner().cancel(r.id, r.attempt)
            flash(f"Capacity run {r.id} cancelled: it had not started.", "ok")
        elif done == "stopped":
            flash(f"Capacity run {r.id} stopped: its worker had stopped reporting.", "ok")
        else:
            flash(f"Stopping capacity run {r.id}: the days solved so far are kept.", "ok")
    return redirect(url_for("capacity.run", run_id=r.id))


@bp.route("/<int:run_id>/chart/capacity.svg", defaults={"name": "capacity"})
@bp.route("/<int:run_id>/chart/utilisation.svg", defaults={"name": "utilisation"})
@bp.route("/<int:run_id>/chart/month.svg", defaults={"name": "month"})
@roles("ops")
def chart(run_id: int, name: str):
    """A chart of an ended run's results (``capacity`` and ``utilisation`` for a sweep,
    ``month`` for a month); 404 for the other kind's, while it has none, or without plots."""
    r = _run_or_404(run_id)
    if name not in charts_of(r) or not has_results(r):
        abort(404)
    if not charts_available():
        abort(404)
    return Response(chart_svg(r, name), mimetype="image/svg+xml")
