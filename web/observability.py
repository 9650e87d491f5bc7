"""What an operator sees of the running service: Prometheus metrics, one structured log line per
request, and static files a browser may cache.

Metrics (``/metrics``, ``web.health``): requests by endpoint (the route's template, never its
raw path), method and status; request latency by endpoint; jobs and capacity runs by state
and the seconds solves took, both read from the database at scrape time (so they are the
whole service's, whichever worker on whichever machine ran them); and the queue's depth and
workers. Under gunicorn several processes answer requests, so the request metrics use
prometheus_client's multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, set by ``hah serve``).

Static files: ``url_for('static', …)`` adds ``?v=<hash of the file>``, and a request carrying
the current hash is answered ``Cache-Control: public, max-age=31536000, immutable`` (a new
release changes the hash, so the URL); without it ``max-age=3600`` and an ETag to revalidate.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
import uuid
from pathlib import Path
from typing import Any

from flask import Flask, g, request
from prometheus_client import Counter, Histogram

log = logging.getLogger("web.request")

#: Latency buckets (seconds): a route page in tens of milliseconds up to a board in seconds.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: Solve-seconds buckets: a 5 s search up to the longest allowed (600 s) and beyond.
SOLVE_BUCKETS = (5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0)

REQUESTS = Counter("hah_http_requests", "HTTP requests answered", ["endpoint", "method", "status"])
LATENCY = Histogram("hah_http_request_seconds", "Time to answer a request", ["endpoint"],
                    buckets=BUCKETS)  # fmt: skip

STATIC_MAX_AGE = 3600
IMMUTABLE = "public, max-age=31536000, immutable"


def _route() -> str:
    """The request's route template (``/api/jobs/<int:job_id>``), or a fixed word for a path
    that matched none, so neither metrics nor logs carry raw paths."""
    rule = request.url_rule
    return rule.rule if rule is not None else "<unmatched>"


def init_observability(app: Flask) -> None:
    """Register the per-request metrics and log line, and the static files' caching."""
    quiet = {"health.healthz", "health.readyz", "health.metrics"}

    @app.before_request
    def _start() -> None:
        g.t0 = time.perf_counter()
        g.request_id = request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex[:16]

    @app.after_request
    def _observe(response):
        t0 = g.get("t0")
        if t0 is None:
            return response
        seconds = time.perf_counter() - t0
        route = _route()
        REQUESTS.labels(route, request.method, str(response.status_code)).inc()
        LATENCY.labels(route).observe(seconds)
        if request.endpoint not in quiet and request.endpoint != "static":
            user = g.get("user")
            log.info("request", extra={
                "method": request.method, "path": route, "endpoint": request.endpoint,
                "status": response.status_code, "ms": round(seconds * 1000, 1),
                "role": getattr(user, "role", None), "request_id": g.request_id,
            })  # fmt: skip
        response.headers.setdefault("X-Request-Id", g.request_id)
        return response

    init_static_caching(app)


def init_static_caching(app: Flask) -> None:
    app.config.setdefault("SEND_FILE_MAX_AGE_DEFAULT", STATIC_MAX_AGE)
    folder = Path(app.static_folder or "")
    hashes: dict[str, str] = {}

    def version(filename: str) -> str | None:
        if filename not in hashes:
            path = (folder / filename).resolve()
            if folder.resolve() not in path.parents or not path.is_file():
                return None
            hashes[filename] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        return hashes[filename]

    @app.url_defaults
    def _versioned(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            v = version(values["filename"])
            if v:
                values["v"] = v

    @app.after_request
    def _cache(response):
        if request.endpoint == "static" and response.status_code in (200, 304):
            filename = (request.view_args or {}).get("filename", "")
            current = version(filename)
            if current and request.args.get("v") == current:
                response.headers["Cache-Control"] = IMMUTABLE
            else:
                response.headers["Cache-Control"] = f"public, max-age={STATIC_MAX_AGE}"
        return response


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None
