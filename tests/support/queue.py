"""The queue-backed path for real: a real Redis (127.0.0.1:6379, started by .ci/services), real
``hah worker``, ``hah serve`` and ``hah up`` subprocesses, and an HTTP client to drive them.

Each test gets its own queue prefix (``HAH_QUEUE_PREFIX``), so parallel tests share one Redis
without seeing each other's jobs, and its keys are deleted afterwards. Without Redis the
tests are skipped, saying so, unless ``HAH_REQUIRE_REDIS=1`` (``make test``, CI) makes that
a failure.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.web import TESTS

REDIS_URL = os.environ.get("HAH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ROOT = TESTS.parent


def redis_or_skip():
    from redis import Redis
    from redis.exceptions import RedisError

    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except RedisError as exc:
        message = f"no Redis at {REDIS_URL} ({type(exc).__name__}): the queue-backed tests need one"
        if os.environ.get("HAH_REQUIRE_REDIS") == "1":
            pytest.fail(message + " (HAH_REQUIRE_REDIS=1 asks for it: bash .ci/services)")
        pytest.skip(message + " (bash .ci/services starts one)")
    return client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def child_pids(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (a worker's work horse)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class Service:
    """The environment of one test's service: database, Redis, queue prefix, logs folder."""

    def __init__(self, db_url: str, workdir: Path, **env: str):
        self.db_url = db_url
        self.prefix = f"t{uuid.uuid4().hex[:10]}"
        self.workdir = workdir
        self.extra = env
        self.procs: list[subprocess.Popen] = []
        workdir.mkdir(parents=True, exist_ok=True)

    def env(self, **more: str) -> dict[str, str]:
        env = dict(os.environ)
        for name in ("HAH_RUNNER", "PROMETHEUS_MULTIPROC_DIR"):
            env.pop(name, None)
        env.update(
            DATABASE_URL=self.db_url,
            HAH_REDIS_URL=REDIS_URL,
            HAH_QUEUE_PREFIX=self.prefix,
            HAH_JOB_RUNNER="queue",
            SECRET_KEY="test-secret",
            HAH_SECURE_COOKIES="0",
            HAH_LOG_FORMAT="json",
            PYTHONPATH=str(ROOT),
        )
        env.update(self.extra)
        env.update(more)
        return env

    def app_config(self, tmp_path: Path) -> dict:
        return {
            "DATABASE_URL": self.db_url, "TESTING": True, "SECRET_KEY": "test-secret",
            "INSTANCE_DIR": tmp_path / "instance", "HAH_TILE_URL": "",
            "HAH_JOB_RUNNER": "queue", "HAH_REDIS_URL": REDIS_URL,
            "HAH_QUEUE_PREFIX": self.prefix,
        }  # fmt: skip

    def start(self, name: str, *args: str, **env: str) -> subprocess.Popen:
        """``hah <args>`` in its own session, its output in ``<workdir>/<name>.log``."""
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - the process keeps it
        proc = subprocess.Popen([sys.executable, "-m", "scheduler.cli", *args], cwd=ROOT,
                                env=self.env(**env), stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip
        proc._hah_log = self.workdir / f"{name}.log"  # type: ignore[attr-defined]
        self.procs.append(proc)
        return proc

    def log_of(self, proc: subprocess.Popen) -> str:
        return Path(proc._hah_log).read_text(errors="replace")  # type: ignore[attr-defined]

    def worker(self, name: str = "worker", timeout: float = 90.0, queues: tuple[str, ...] = (),
               **env: str) -> subprocess.Popen:  # fmt: skip
        """A ``hah worker`` (on ``queues`` only, if given), once it listens on this test's
        queues."""
        args = [a for q in queues for a in ("--queue", q)]
        queue = queues[0] if queues else "solve"
        proc = self.start(name, "worker", *args, **env)
        self.wait_workers(1 + self.count_workers(queue), timeout, proc, queue)
        return proc

    def count_workers(self, queue: str = "solve") -> int:
        from redis import Redis
        from rq import Queue, Worker

        redis = Redis.from_url(REDIS_URL)
        return len(Worker.all(queue=Queue(f"{self.prefix}-{queue}", connection=redis)))

    def wait_workers(self, n: int, timeout: float, proc: subprocess.Popen | None = None,
                     queue: str = "solve") -> None:  # fmt: skip
        deadline = time.monotonic() + timeout
        while self.count_workers(queue) < n:
            if proc is not None and proc.poll() is not None:
                raise AssertionError(f"worker exited {proc.returncode}:\n{self.log_of(proc)}")
            assert time.monotonic() < deadline, "no worker registered on the queue"
            time.sleep(0.2)

    def kill(self, proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, sig)
            if sig == signal.SIGKILL:
                proc.wait(10)

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                for horse in child_pids(proc.pid):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(horse, signal.SIGKILL)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        from redis import Redis

        redis = Redis.from_url(REDIS_URL)
        keys = list(redis.scan_iter(f"*{self.prefix}*", count=1000))
        if keys:
            redis.delete(*keys)


@contextmanager
def service(db_url: str, workdir: Path, **env: str) -> Iterator[Service]:
    redis_or_skip()
    svc = Service(db_url, workdir, **env)
    try:
        yield svc
    finally:
        svc.close()


def wait_http(url: str, timeout: float = 90.0, proc: subprocess.Popen | None = None,
              svc: Service | None = None) -> None:  # fmt: skip
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if proc is not None and proc.poll() is not None:
            said = svc.log_of(proc) if svc else ""
            raise AssertionError(f"server exited {proc.returncode} before answering:\n{said}")
        assert time.monotonic() < deadline, f"{url} never answered 200"
        time.sleep(0.25)


class Http:
    """A signed-in client of a served app (urllib, cookies kept, the CSRF token sent)."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.token = ""

    def sign_in(self, username: str, password: str) -> Http:
        login_page = self.get("/auth/login").body.decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', login_page)
        form = {"username": username, "password": password,
                "csrf_token": token.group(1) if token else ""}  # fmt: skip
        r = self.request("POST", "/auth/login", form=form)
        assert "/auth/login" not in r.url, "could not sign in"
        assert self.get("/api/me").status == 200
        home = self.get("/coordinator/").body.decode()
        found = re.search(r'<meta name="csrf-token" content="([^"]+)"', home)
        self.token = found.group(1) if found else ""
        return self

    class Answer:
        def __init__(self, status: int, headers, body: bytes, url: str):
            self.status, self.headers, self.body, self.url = status, headers, body, url

        def json(self):
            return json.loads(self.body)

    def request(self, method: str, path: str, *, body=None, form=None,
                headers: dict | None = None) -> Answer:  # fmt: skip
        data = None
        hdrs = dict(headers or {})
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
        if method != "GET" and self.token:
            hdrs.setdefault("X-CSRF-Token", self.token)
        req = urllib.request.Request(self.base + path, data=data, headers=hdrs, method=method)
        try:
            with self.opener.open(req, timeout=60) as r:
                return Http.Answer(r.status, r.headers, r.read(), r.geturl())
        except urllib.error.HTTPError as err:
            return Http.Answer(err.code, err.headers, err.read(), err.geturl())

    def get(self, path: str, **kw) -> Answer:
        return self.request("GET", path, **kw)

    def post(self, path: str, body=None, **kw) -> Answer:
        return self.request("POST", path, body=body if body is not None else {}, **kw)


def prepare_day(db_url: str, days: tuple[int, ...] = (0,)) -> None:
    """Migrate the database, add a coordinator ``coord`` and import the small day (moved by
    each of ``days``), as a trust's set-up would before the service starts."""
    from tests.support.web import FAST_HASH, PASSWORD, import_day_moved
    from web.db import Database, upgrade
    from web.services.users import create_user

    upgrade(db_url)
    db = Database(db_url)
    try:
        with db.session() as s:
            users = {"coord": create_user(s, "coord", PASSWORD, "coordinator",
                                          hash_method=FAST_HASH)}  # fmt: skip
            s.commit()
            for d in days:
                import_day_moved(s, users, d)
    finally:
        db.dispose()


def wait_state(poll, states: set[str], timeout: float) -> dict:
    """Poll ``poll()`` (a job's status) until its state is one of ``states``."""
    deadline = time.monotonic() + timeout
    status: dict = {}
    while time.monotonic() < deadline:
        status = poll()
        if status.get("state") in states:
            return status
        time.sleep(0.25)
    raise AssertionError(f"never reached {states} in {timeout:g} s: {status}")
