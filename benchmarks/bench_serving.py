"""Shift start through the documented production set-up (``hah up``: gunicorn + a job worker),
on PostgreSQL, loopback only, bounded: issue 12's load targets.

1. 150 nurses sign in, spread evenly over 60 s (target: p95 ≤ 1 s);
2. the 150, signed in, open today's route within 10 s, each at a random moment of those 10 s
   (``GET /nurse/`` and its redirect to her route page; target: p95 ≤ 300 ms, 0 errors);
3. 5 coordinators load the 1,070-visit board, 10 times each back to back
   (target: p95 ≤ 600 ms).

The sample day is solved here (``--time-limit``, default 30 s) or read from ``--rota DIR``,
published through the app's own code (``web.demo.load_demo``); 150 nurse accounts are made
with the app's default password hash (scrypt) on the clinicians who have visits. Every
request goes to 127.0.0.1. The clients are threads of this process, on the same two cores as
the server, so the figures include that contention. ``--results`` writes the section of
benchmarks/RESULTS.md.

    python benchmarks/bench_serving.py [--database postgresql://…] [--rota demo_out] [--results]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.results import markers, write_section

ROOT = Path(__file__).resolve().parent.parent
LOCAL_PG = "postgresql://postgres@127.0.0.1:5432/test"
NAME = "serving"


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


class Browser:
    """One person's cookies; requests timed in ms; never prints what it fetches."""

    def __init__(self, base: str):
        import http.cookiejar

        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, float]:
        t0 = time.perf_counter()
        try:
            with self.opener.open(self.base + path, timeout=60) as r:
                r.read()
                status = r.status
        except urllib.error.HTTPError as err:
            status = err.code
        except OSError:
            status = 0
        return status, (time.perf_counter() - t0) * 1000

    def sign_in(self, username: str, password: str) -> tuple[bool, float]:
        with self.opener.open(self.base + "/auth/login", timeout=60) as r:
            page = r.read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        form = urllib.parse.urlencode({"username": username, "password": password,
                                       "csrf_token": token.group(1) if token else ""}).encode()
        t0 = time.perf_counter()
        try:
            with self.opener.open(self.base + "/auth/login", form, timeout=60) as r:
                r.read()
                ok = "/auth/login" not in r.geturl()
        except OSError:
            ok = False
        return ok, (time.perf_counter() - t0) * 1000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _schema_url(base: str) -> tuple[str, str]:
    import sqlalchemy as sa

    from web.db import normalise_url

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(normalise_url(base))
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}", schema


def _drop_schema(base: str, schema: str) -> None:
    import sqlalchemy as sa

    from web.db import normalise_url

    engine = sa.create_engine(normalise_url(base))
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def prepare(url: str, rota_dir: Path | None, time_limit: float, nurses: int, workdir: Path):
    from scheduler.domain.formats.day import read_day
    from scheduler.domain.formats.rota import read_rota
    from scheduler.domain.problem import build_problem
    from scheduler.domain.samples import SAMPLE_DIR
    from scheduler.usecases.check_rota import problem_with_export
    from scheduler.usecases.plan_day import SolveOptions, plan_day_files
    from web.db import Database
    from web.demo import load_demo
    from web.services.users import create_user

    if rota_dir is None:
        rota_dir = workdir / "rota"
        plan = plan_day_files(SAMPLE_DIR / "visits.csv", SAMPLE_DIR / "clinicians.csv", rota_dir,
                              SolveOptions(time_limit_s=time_limit), export_matrix=True)
        problem, rota = plan.problem, plan.rota
    else:
        visits, shifts = read_day(SAMPLE_DIR / "visits.csv", SAMPLE_DIR / "clinicians.csv")
        problem = problem_with_export(visits, shifts, rota_dir) or build_problem(visits, shifts)
        rota = read_rota(rota_dir, problem)
    day = min(s.start for s in problem.shifts).date()
    loaded = load_demo(url, SAMPLE_DIR, day, rota)
    assert loaded.published_number is not None, loaded.refused
    coordinator = next(a for a in loaded.accounts if a.role == "coordinator")
    with_visits = [r.clinician_id for r in rota.routes if r.visit_ids]
    password = secrets.token_urlsafe(12)
    db = Database(url)
    with db.session() as s:
        for i in range(nurses):
            create_user(s, f"n{i:03d}", password, "nurse",
                        clinician_id=with_visits[i % len(with_visits)])  # fmt: skip
        s.commit()
    db.dispose()
    return day.isoformat(), len(problem.visits), coordinator, password


def run(args: argparse.Namespace) -> dict:
    base_url = args.database or LOCAL_PG
    schema = None
    workdir = Path(tempfile.mkdtemp(prefix="hah-bench-serving-"))
    if base_url.startswith("postgres"):
        url, schema = _schema_url(base_url)
    else:
        url = base_url
    try:
        t0 = time.monotonic()
        day, n_visits, coord, password = prepare(url, Path(args.rota) if args.rota else None,
                                                 args.time_limit, args.nurses, workdir)
        print(f"prepared {day}: {n_visits} visits, {args.nurses} nurses "
              f"({time.monotonic() - t0:.0f} s)")
        return measure(url, day, n_visits, coord, password, args, workdir)
    finally:
        if schema:
            _drop_schema(base_url, schema)


def measure(url, day, n_visits, coord, password, args, workdir) -> dict:
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=url, HAH_TODAY=day, HAH_SECURE_COOKIES="0",
               SECRET_KEY=secrets.token_hex(16), HAH_QUEUE_PREFIX=f"bench{uuid.uuid4().hex[:8]}",
               HAH_LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))  # fmt: skip
    log = open(workdir / "up.log", "wb")  # noqa: SIM115
    cmd = [sys.executable, "-m", "scheduler.cli", "up", "--port", str(port), "--queue-workers", "1"]
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                            start_new_session=True)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while Browser(base).get("/readyz")[0] != 200:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((workdir / "up.log").read_text()[-2000:])
            time.sleep(0.5)
        from web.serving import default_workers

        load_before = os.getloadavg()[0]
        nurses = [Browser(base) for _ in range(args.nurses)]
        sign = _spread(lambda i: nurses[i].sign_in(f"n{i:03d}", password), args.nurses,
                       args.sign_in_over)  # fmt: skip
        signed = [ok for ok, _ in sign]
        route = _spread(lambda i: nurses[i].get("/nurse/"), args.nurses, args.route_within,
                        shuffle=True)  # fmt: skip
        boards = _coordinators(base, coord, day, args.coordinators, args.board_loads)
        res = {
            "visits": n_visits, "nurses": args.nurses, "day": day,
            "web_workers": int(os.environ.get("HAH_WEB_WORKERS") or default_workers()),
            "threads": int(os.environ.get("HAH_WEB_THREADS") or 4),
            "sign_in": [ms for _, ms in sign], "signed": sum(signed),
            "route": [ms for st, ms in route if st == 200],
            "route_errors": sum(1 for st, _ in route if st != 200),
            "board": [ms for st, ms in boards if st == 200],
            "board_errors": sum(1 for st, _ in boards if st != 200),
            "database": "PostgreSQL" if url.startswith("postgres") else "SQLite",
            "sign_in_over": args.sign_in_over, "route_within": args.route_within,
            "coordinators": args.coordinators, "board_loads": args.board_loads,
            "load": (load_before, os.getloadavg()[0]), "cores": os.cpu_count(),
        }  # fmt: skip
        return res
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def _spread(fn, n: int, over_s: float, shuffle: bool = False) -> list:
    """``fn(i)`` for i < n, each started at its moment of ``over_s`` seconds (evenly, or at
    seeded random moments), each in its own thread."""
    rnd = random.Random(7)
    moments = [rnd.uniform(0, over_s) for _ in range(n)] if shuffle else \
        [i * over_s / n for i in range(n)]  # fmt: skip
    out: list = [None] * n
    t0 = time.monotonic()

    def one(i: int) -> None:
        time.sleep(max(0.0, t0 + moments[i] - time.monotonic()))
        out[i] = fn(i)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    return out


def _coordinators(base: str, coord, day: str, n: int, loads: int) -> list:
    people = [Browser(base) for _ in range(n)]
    for p in people:
        ok, _ = p.sign_in(coord.username, coord.password)
        assert ok, "the coordinator could not sign in"
    out: list = []
    lock = threading.Lock()

    def one(p: Browser) -> None:
        for _ in range(loads):
            r = p.get(f"/coordinator/day/{day}")
            with lock:
                out.append(r)

    threads = [threading.Thread(target=one, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    return out


def report(res: dict) -> list[str]:
    def row(what, values, target, errors=0):
        p50, p95, top = _pct(values, 0.5), _pct(values, 0.95), max(values) if values else 0
        met = "MET" if p95 <= target and errors == 0 else "MISSED"
        return (f"| {what} | {len(values)} | {p50:.0f} | {p95:.0f} | {top:.0f} | {errors} | "
                f"≤ {target:.0f} ms: **{met}** |")

    begin, end = markers(NAME)
    return [
        begin,
        f"## Shift start through `hah up` on {res['database']}: {res['nurses']} nurses, "
        f"{res['coordinators']} coordinators",
        "",
        f"`python benchmarks/bench_serving.py {res.get('command', '--results')}`: the sample "
        f"day ({res['visits']} visits) published; `hah up` (gunicorn, {res['web_workers']} "
        f"worker processes × {res['threads']} threads, one job worker, the job queue and the "
        "board's shared fragments on Redis) on 127.0.0.1; the clients are threads of the "
        "benchmark on the same 2 cores. Every request is checked against its server-side "
        "session, and every route or board opened adds its audit row. Times in ms, "
        "client-side, whole responses.",
        "",
        "| what | requests | p50 | p95 | max | errors | target |",
        "|---|---|---|---|---|---|---|",
        row(f"sign-in, {res['nurses']} spread over {res['sign_in_over']:g} s", res["sign_in"],
            1000, res["nurses"] - res["signed"]),
        row(f"today's route, {res['nurses']} signed-in nurses within {res['route_within']:g} s "
            "(`/nurse/` + redirect)", res["route"], 300, res["route_errors"]),
        row(f"the board, {res['coordinators']} coordinators × {res['board_loads']} loads",
            res["board"], 600, res["board_errors"]),
        "",
        f"Machine load average (1 min) {res['load'][0]:.1f} before and {res['load'][1]:.1f} after "
        f"the run on {res['cores']} cores"
        + (": the machine was shared with other work, so these figures say little about the "
           "targets; measure on a quiet machine." if max(res["load"]) > 1.5 * (res["cores"] or 1)
           else "."),
        "",
        "Before (issue 12, `hah serve` on Werkzeug's one-process server): the 150 route opens "
        "took p50 20–37 s, p95 30–43 s; the board p95 2.1–2.4 s. Through `hah up` on a quiet "
        "machine, before the board's sections were kept and shared and workers warmed up: "
        "board p95 631–1019 ms (each worker's first, cold loads).",
        end,
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database", help=f"PostgreSQL server (a schema is made and dropped); "
                   f"default {LOCAL_PG}")  # fmt: skip
    p.add_argument("--rota", help="a solved sample day (hah demo's demo_out) instead of solving")
    p.add_argument("--time-limit", type=float, default=30.0)
    p.add_argument("--nurses", type=int, default=150)
    p.add_argument("--sign-in-over", type=float, default=60.0)
    p.add_argument("--route-within", type=float, default=10.0)
    p.add_argument("--coordinators", type=int, default=5)
    p.add_argument("--board-loads", type=int, default=10)
    p.add_argument("--results", action="store_true", help="write benchmarks/RESULTS.md")
    args = p.parse_args(argv)
    res = run(args)
    res["command"] = " ".join(argv if argv is not None else sys.argv[1:])
    lines = report(res)
    print("\n".join(lines[1:-1]))
    if args.results:
        write_section("\n".join(lines), *markers(NAME))
    return 0


if __name__ == "__main__":
    sys.exit(main())
