"""Many independent solves at once: a local process pool by default, or a Ray cluster.

A sweep is embarrassingly parallel (each simulated day is solved alone), so the only
choices are where the processes run and how results come back. ``run_all`` hands every
finished result to ``on_result`` as soon as it arrives (the sweep appends it to its results
file at once, which is what makes an interrupted sweep resumable) and returns when all are
done. With ``ray_address`` the same function runs as Ray tasks: ``"local"`` starts a Ray
instance on this machine, anything else (``"auto"``, ``"ray://host:10001"``) joins a
cluster. Ray is an optional extra (``pip install -e '.[ray]'``).

Local workers are started with ``spawn``: the parent may hold threads (the web app's job
runner) and a fork would copy their locks; each worker then loads the compiled search
engine once from numba's cache.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any

Task = Any
Result = Any


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def run_all(
    tasks: Iterable[Task],
    fn: Callable[[Task], Result],
    *,
    workers: int | None = None,
    ray_address: str | None = None,
    on_result: Callable[[Task, Result], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[tuple[Task, Result]]:
    """Run ``fn`` on every task; results in completion order. ``should_stop`` is polled
    between completions: when it answers True, tasks not yet started are cancelled and what
    finished is returned."""
    tasks = list(tasks)
    if not tasks:
        return []
    if ray_address:
        return _run_ray(tasks, fn, ray_address, on_result, should_stop)
    workers = min(workers or default_workers(), len(tasks))
    if workers == 1:
        out = []
        for t in tasks:
            if should_stop is not None and should_stop():
                break
            r = fn(t)
            if on_result is not None:
                on_result(t, r)
            out.append((t, r))
        return out
    out = []
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        pending = {pool.submit(fn, t): t for t in tasks}
        try:
            while pending:
                done, _ = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
                for f in done:
                    t = pending.pop(f)
                    r = f.result()
                    if on_result is not None:
                        on_result(t, r)
                    out.append((t, r))
                if should_stop is not None and should_stop():
                    for f in pending:
                        f.cancel()
                    break
        except BaseException:
            for f in pending:
                f.cancel()
            raise
    return out


def _run_ray(tasks, fn, address, on_result, should_stop) -> list[tuple[Task, Result]]:
    try:
        import ray
    except ImportError as exc:  # pragma: no cover - depends on the extra
        raise RuntimeError("--ray needs Ray: pip install -e '.[ray]'") from exc
    started_here = False
    if not ray.is_initialized():
        if address == "local":
            ray.init(include_dashboard=False, log_to_driver=False)
        else:
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
        started_here = True
    try:
        remote = ray.remote(fn)
        refs = {remote.remote(t): t for t in tasks}
        out = []
        while refs:
            done, _ = ray.wait(list(refs), num_returns=1, timeout=1.0)
            for ref in done:
                t = refs.pop(ref)
                r = ray.get(ref)
                if on_result is not None:
                    on_result(t, r)
                out.append((t, r))
            if should_stop is not None and should_stop():
                for ref in refs:
                    ray.cancel(ref)
                break
        return out
    finally:
        if started_here:
            ray.shutdown()


def worker_pid(_task: object = None) -> int:
    """The process a task ran in: a probe that the pool or cluster is really in use."""
    return os.getpid()
