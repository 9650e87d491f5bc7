"""``hah serve``: the web app under gunicorn, the production WSGI server.

Several worker processes (``--workers``, ``HAH_WEB_WORKERS``; default two per core, at most
8), each with a few threads (``--threads``, ``HAH_WEB_THREADS``, default 4: ``gthread``
workers, so a slow phone on a ward's Wi-Fi holds one thread, not a process). Before any
worker starts, gunicorn's master brings the database to the code's revision once
(``on_starting``; ``--no-migrate`` or ``HAH_MIGRATE=0`` leaves it to ``hah db upgrade``), and
the workers themselves never migrate. Request metrics from every worker are pooled through
prometheus_client's multiprocess directory, made fresh by the master. Logs are JSON lines on
stderr (``web.logs``); gunicorn's access log is off, since the app logs each request by its
route rather than its raw path.

Signals are gunicorn's: HUP reloads the workers gracefully (requests in flight finish, new
workers take over; jobs are on the queue, untouched), TERM stops gracefully, INT/QUIT at
once. The Werkzeug development server is only behind ``hah serve --dev``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any


def default_workers() -> int:
    return max(2, min(8, 2 * (os.cpu_count() or 1)))


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def options(host: str, port: int, *, workers: int | None = None, threads: int | None = None,
            migrate: bool | None = None) -> dict[str, Any]:  # fmt: skip
    """gunicorn's settings for ``hah serve``."""
    from web.logs import gunicorn_logconfig

    if migrate is None:
        migrate = os.environ.get("HAH_MIGRATE", "1").strip().lower() in ("1", "true", "yes", "on")
    return {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers or _int_env("HAH_WEB_WORKERS", default_workers()),
        "threads": threads or _int_env("HAH_WEB_THREADS", 4),
        "worker_class": "gthread",
        "timeout": _int_env("HAH_WEB_TIMEOUT_S", 120),
        "graceful_timeout": 30,
        "keepalive": 5,
        "accesslog": None,
        "logconfig_dict": gunicorn_logconfig(),
        "proc_name": "hah-web",
        "on_starting": _on_starting(migrate),
        "post_worker_init": _post_worker_init,
        "child_exit": _child_exit,
        "on_exit": _on_exit,
        "control_socket_disable": True,
    }


def _on_starting(migrate: bool):
    def on_starting(server) -> None:
        from web import config
        from web.db import head_revision, upgrade

        # A fresh directory per master: metrics of workers of an earlier run are gone.
        path = tempfile.mkdtemp(prefix="hah-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
        server._hah_metrics_dir = path
        if migrate:
            url = config.from_env({"SECRET_KEY": "unused"})["DATABASE_URL"]
            upgrade(url)
            server.log.info("database at revision %s", head_revision())

    return on_starting


def _post_worker_init(worker) -> None:
    """Read the days around today before the first request (``web.warm``)."""
    from web.warm import warm_caches

    app = getattr(worker, "wsgi", None)
    if app is not None and hasattr(app, "extensions"):
        warm_caches(app)


def _child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)


def _on_exit(server) -> None:
    path = getattr(server, "_hah_metrics_dir", None)
    if path:
        shutil.rmtree(path, ignore_errors=True)


def serve(host: str = "127.0.0.1", port: int = 8000, *, workers: int | None = None,
          threads: int | None = None, migrate: bool | None = None) -> int:  # fmt: skip
    """Run the app under gunicorn until stopped."""
    from gunicorn.app.base import BaseApplication

    settings = options(host, port, workers=workers, threads=threads, migrate=migrate)

    class Application(BaseApplication):
        def load_config(self) -> None:
            assert self.cfg is not None
            for key, value in settings.items():
                if key in self.cfg.settings:  # control_socket_* only since gunicorn 25.1
                    self.cfg.set(key, value)

        def load(self):
            from web import create_app

            return create_app({"HAH_MIGRATE": False})

    Application().run()
    return 0


def serve_dev(host: str = "127.0.0.1", port: int = 8000, *, debug: bool = False) -> int:
    """Werkzeug's development server: one process, for a laptop only (``hah serve --dev``)."""
    from werkzeug.serving import run_simple

    from web import create_app

    app = create_app()
    where = app.extensions["hah_db"].engine.url.render_as_string(hide_password=True)
    print(f"Development server (not for a ward) on http://{host}:{port}/ (database: {where})")
    run_simple(host, port, app, threaded=True, use_reloader=debug, use_debugger=debug)
    return 0
