"""``hah up``: the whole service on one machine with one command: the database migrated once,
then the web server (``hah serve``: gunicorn, several workers) and ``--queue-workers`` job
workers (``hah worker``), each its own process, all configured by the same environment
(docs/web.md's settings). It is what the README's production section runs, and a test runs
it too (tests/web/test_up.py), so the documented way to start the service cannot rot.

It supervises: a job worker that dies is started again (its job re-queued by the reaper); if
the web server dies, everything stops and ``hah up`` exits non-zero, for systemd (or any
supervisor) to restart. SIGTERM or SIGINT stop everything gracefully (the web server
finishes its requests, each worker the job in hand, up to ``--grace`` seconds, then they
are killed and their jobs re-queued at the next start); SIGHUP reloads the web server's
workers. On several machines, run ``hah serve`` on the web machines and ``hah worker`` on the
others instead, with the same settings.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

log = logging.getLogger("web.up")


@dataclass
class Child:
    name: str
    argv: list[str]
    proc: subprocess.Popen | None = None
    restarts: list[float] = field(default_factory=list)

    def start(self) -> None:
        self.proc = subprocess.Popen(self.argv)
        log.info("started %s", self.name, extra={"pid": self.proc.pid})

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def _hah(*args: str) -> list[str]:
    return [sys.executable, "-m", "scheduler.cli", *args]


def up(host: str = "127.0.0.1", port: int = 8000, *, web_workers: int | None = None,
       threads: int | None = None, queue_workers: int = 1, grace_s: float = 60.0,
       migrate: bool = True) -> int:  # fmt: skip
    from web import config, logs
    from web.db import upgrade

    logs.configure()
    if migrate:
        upgrade(config.from_env({"SECRET_KEY": "unused"})["DATABASE_URL"])
    serve = ["serve", "--host", host, "--port", str(port), "--no-migrate"]
    if web_workers:
        serve += ["--workers", str(web_workers)]
    if threads:
        serve += ["--threads", str(threads)]
    web = Child("web", _hah(*serve))
    workers = [Child(f"worker-{i + 1}", _hah("worker")) for i in range(queue_workers)]
    children = [web, *workers]
    stopping = {"signal": 0}

    def on_stop(signum, _frame) -> None:
        stopping["signal"] = signum

    def on_hup(_signum, _frame) -> None:
        if web.alive() and web.proc is not None:
            web.proc.send_signal(signal.SIGHUP)

    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    signal.signal(signal.SIGHUP, on_hup)
    for child in children:
        child.start()
    code = 0
    while not stopping["signal"]:
        time.sleep(0.5)
        if not web.alive():
            log.error("the web server stopped (exit %s): stopping everything",
                      web.proc.returncode if web.proc else None)  # fmt: skip
            code = 1
            break
        for w in workers:
            if w.alive():
                continue
            now = time.monotonic()
            w.restarts = [t for t in w.restarts if now - t < 60] + [now]
            if len(w.restarts) > 5:
                log.error("%s keeps dying: stopping everything", w.name)
                code = 1
                stopping["signal"] = signal.SIGTERM
                break
            log.warning("%s stopped (exit %s): starting it again", w.name,
                        w.proc.returncode if w.proc else None)  # fmt: skip
            w.start()
    _stop_all(children, grace_s)
    return code


def _stop_all(children: list[Child], grace_s: float) -> None:
    for child in children:
        if child.alive() and child.proc is not None:
            child.proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    for child in children:
        if child.proc is None:
            continue
        try:
            child.proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop in %.0f s: killing it", child.name, grace_s)
            child.proc.kill()
            child.proc.wait()
