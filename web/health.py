"""``/healthz``, ``/readyz`` and ``/metrics``: for load balancers, orchestrators and Prometheus.

- ``/healthz``: the process is alive and answering (no database, no Redis): 200 ``ok``.
- ``/readyz``: this process can serve: the database answers and is at the code's schema
  revision, and (with the queue runner) Redis answers. 200, or 503 naming what is not.
- ``/metrics``: Prometheus' text format (``web.observability``). Open to a client on the
  loopback interface that came through no proxy, or to anyone sending ``Authorization:
  Bearer <HAH_METRICS_TOKEN>``; 404 otherwise (its existence is nobody else's business).

All three are public (no session) and carry no patient data: counts by state, not rows.
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import func, select, text

from web.security import public

bp = Blueprint("health", __name__)

_REVISION: dict[str, Any] = {}


@bp.route("/healthz")
@public
def healthz():
    return jsonify(status="ok")


def _database_ok() -> tuple[bool, str]:
    from web.db import current_revision, head_revision

    database = current_app.extensions["hah_db"]
    try:
        with database.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        now = time.monotonic()
        seen = _REVISION.get(database.url)
        if seen is None or seen[0] < now - 30:  # a migrated database stays migrated
            seen = (now, current_revision(database.url) == head_revision())
            _REVISION[database.url] = seen
    except Exception as exc:
        return False, f"unreachable ({type(exc).__name__})"
    if not seen[1]:
        _REVISION.pop(database.url, None)
        return False, "not migrated: run `hah db upgrade`"
    return True, "ok"


def _queue_ok() -> tuple[bool, str]:
    if current_app.config.get("HAH_JOB_RUNNER") != "queue":
        return True, "in process (HAH_JOB_RUNNER=thread)"
    try:
        current_app.extensions["hah_queue"].redis().ping()
    except Exception as exc:
        return False, f"unreachable ({type(exc).__name__})"
    return True, "ok"


@bp.route("/readyz")
@public
def readyz():
    db_ok, db_said = _database_ok()
    q_ok, q_said = _queue_ok()
    ok = db_ok and q_ok
    return jsonify(ready=ok, database=db_said, queue=q_said), 200 if ok else 503


def _metrics_allowed() -> bool:
    token = current_app.config.get("HAH_METRICS_TOKEN") or ""
    sent = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    if request.headers.get("X-Forwarded-For") or request.headers.get("Forwarded"):
        return False  # through a proxy: the loopback address is the proxy's, not the client's
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


class _Database:
    """Jobs and capacity runs by state, and the seconds finished solves took, from the
    database at scrape time (whichever worker, on whichever machine, ran them)."""

    def __init__(self, database, queue):
        self.database, self.queue = database, queue

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily

        from web.models import JOB_STATES, CapacityRun, SolveJob
        from web.observability import SOLVE_BUCKETS

        jobs = GaugeMetricFamily("hah_jobs", "Solve jobs and capacity runs by state",
                                 labels=["kind", "state"])  # fmt: skip
        with self.database.session() as s:
            for kind, model in (("solve", SolveJob), ("capacity", CapacityRun)):
                by_state = select(model.state, func.count()).group_by(model.state)
                counts = dict(s.execute(by_state).all())
                for state in JOB_STATES:
                    jobs.add_metric([kind, state], float(counts.get(state, 0)))
            spans = s.execute(select(SolveJob.started_at, SolveJob.finished_at).where(
                SolveJob.state.in_(("done", "stopped")), SolveJob.started_at.is_not(None),
                SolveJob.finished_at.is_not(None))).all()  # fmt: skip
        yield jobs
        seconds = [max(0.0, (b - a).total_seconds()) for a, b in spans]
        buckets = [(str(b), float(sum(1 for x in seconds if x <= b))) for b in SOLVE_BUCKETS]
        buckets.append(("+Inf", float(len(seconds))))
        yield HistogramMetricFamily("hah_solve_seconds", "Wall time of finished solves "
                                    "(started to stored)", buckets=buckets,
                                    sum_value=sum(seconds))  # fmt: skip
        if self.queue is not None:
            yield from self._queue()

    def _queue(self):
        from prometheus_client.core import GaugeMetricFamily
        from rq import Queue, Worker

        depth = GaugeMetricFamily("hah_queue_depth", "Jobs waiting on the queue", labels=["queue"])
        workers = GaugeMetricFamily("hah_queue_workers", "Workers registered with the queue")
        try:
            redis = self.queue.redis()
            queues = [Queue(self.queue.queue_name(w), connection=redis)
                      for w in ("live", "solve", "capacity")]  # fmt: skip
            for q in queues:
                depth.add_metric([q.name], float(q.count))
            workers.add_metric([], float(len({w.name for q in queues
                                              for w in Worker.all(queue=q)})))  # fmt: skip
        except Exception:
            return
        yield depth
        yield workers


@bp.route("/metrics")
@public
def metrics():
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

    from web.observability import multiprocess_dir

    if not _metrics_allowed():
        return Response("Not found\n", 404, mimetype="text/plain")
    if multiprocess_dir():
        from prometheus_client import multiprocess

        base = CollectorRegistry()
        multiprocess.MultiProcessCollector(base)
    else:
        base = REGISTRY
    extra = CollectorRegistry()
    queue = current_app.extensions["hah_queue"] if current_app.config.get(
        "HAH_JOB_RUNNER") == "queue" else None  # fmt: skip
    extra.register(_Database(current_app.extensions["hah_db"], queue))
    body = generate_latest(base) + generate_latest(extra)
    return Response(body, 200, {"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"})
