"""The coordinator's board served for real on loopback, and timed from a client: a
Werkzeug server in a thread on a prepared database, a signed-in HTTP client with cookies and
CSRF, and a split of each request's server time by the functions it spends it in. Used by
``bench_board.py``."""

from __future__ import annotations

import http.cookiejar
import re
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.page_weight import gz, summary

#: What a board request spends its time in: reading the import's CSVs back (``day_inputs``),
#: the stored rota (``rota_from_json``), the statuses, building the board data and rendering.
SPLIT_NAMES = ("day_inputs", "rota_from_json", "latest_statuses", "board", "render_template")
INPUTS = SPLIT_NAMES[:3]


class Split:
    """Per-request time in ``board()`` and in ``render_template`` for the views under test,
    by wrapping the names those view modules imported (in this process only)."""

    def __init__(self) -> None:
        self.local = threading.local()
        self.last: dict[str, float] = {}

    def wrap(self, module, name: str) -> None:
        original = getattr(module, name)

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.last[name] = self.last.get(name, 0.0) + (time.perf_counter() - t0) * 1000.0

        setattr(module, name, timed)

    def take(self) -> dict[str, float]:
        out, self.last = self.last, {}
        return out


@contextmanager
def serve(database_url: str, day: str, workdir: Path) -> Iterator[tuple[str, Split]]:
    """The real app on 127.0.0.1 at a free port (Werkzeug, threaded, as ``hah serve``)."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    from web import coordinator, create_app, nurse

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):  # no request lines (they name routes)
            pass

    app = create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": secrets.token_hex(16),
            "INSTANCE_DIR": workdir / "instance",
            "HAH_TILE_URL": "",
            "HAH_TODAY": day,
            "HAH_JOB_RUNNER": "thread",
            "SESSION_COOKIE_SECURE": False,
        }
    )
    split = Split()
    for module in (coordinator, nurse):
        for name in SPLIT_NAMES:
            if hasattr(module, name):
                split.wrap(module, name)
    srv = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}", split
    finally:
        srv.shutdown()
        thread.join(5)
        app.extensions["hah_db"].dispose()


class Client:
    """A signed-in HTTP client (urllib, cookies kept); never prints what it fetches."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def sign_in(self, username: str, password: str) -> None:
        page = self.opener.open(f"{self.base}/auth/login").read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        form = {"username": username, "password": password}
        if token:
            form["csrf_token"] = token.group(1)
        with self.opener.open(f"{self.base}/auth/login",
                              urllib.parse.urlencode(form).encode()) as r:  # fmt: skip
            r.read()
            if "/auth/login" in r.geturl():
                raise RuntimeError(f"could not sign in as {username}")

    def timed_get(self, path: str, gzip_ok: bool = False) -> dict:
        req = urllib.request.Request(self.base + path)
        if gzip_ok:
            req.add_header("Accept-Encoding", "gzip")
        t0 = time.perf_counter()
        try:
            r = self.opener.open(req)
        except urllib.error.HTTPError as err:
            raise RuntimeError(
                f"GET {path}: HTTP {err.code} (the page is broken; if the tree is being "
                "edited, retry later)"
            ) from None
        with r:
            t_head = time.perf_counter()
            body = r.read()
            t_end = time.perf_counter()
            if r.status != 200:
                raise RuntimeError(f"GET {path}: HTTP {r.status}")
            encoding = r.headers.get("Content-Encoding", "")
        return {
            "ttfb": (t_head - t0) * 1000.0,
            "total": (t_end - t0) * 1000.0,
            "bytes": len(body),
            "encoding": encoding,
            "body": body,
        }


def measure_server(client: Client, path: str, reps: int, split: Split) -> dict:
    first = client.timed_get(path)
    split.take()
    runs, parts = [], []
    for _ in range(reps):
        runs.append(client.timed_get(path))
        parts.append(split.take())
    encoded = client.timed_get(path, gzip_ok=True)
    split.take()
    body = runs[-1]["body"]
    return {
        "first_ms": first["total"],
        "ttfb": summary([r["ttfb"] for r in runs]),
        "total": summary([r["total"] for r in runs]),
        "board_ms": summary([p.get("board", 0.0) for p in parts]),
        "render_ms": summary([p.get("render_template", 0.0) for p in parts]),
        "inputs_ms": summary([sum(p.get(k, 0.0) for k in INPUTS) for p in parts]),
        "bytes": len(body),
        "gzip_bytes": gz(body),
        "compressed_by_app": bool(encoded["encoding"]),
        "html": body.decode(),
    }
