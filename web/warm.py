"""A web worker reads the days people are about to open before it takes a request.

Each gunicorn worker keeps its own cache of days' files, problems and version rotas
(``web.services.memo``). Cold, the first board of the sample day in a fresh worker took
~600 ms, against ~60 ms warm: with four workers, five coordinators opening the board at the
start of a shift all landed on cold workers, and their p95 (631 ms on a quiet machine) was
nothing but that. So a worker, once forked (``post_worker_init``), reads the latest import
and the latest published version of yesterday, today and tomorrow (a night shift, and the
evening's planning of tomorrow), and their travel matrices, and compiles the pages read at
shift start (``PAGES``). Failures are logged and ignored: a cold cache is slower, never
wrong.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask

log = logging.getLogger(__name__)

#: Compiled before the first request: the board, its sections and the nurse's route.
PAGES = ("coordinator/day.html", "coordinator/_board_sections.html", "nurse/route.html")


def warm_caches(app: Flask) -> int:
    """Read the days around today into this process's caches; how many versions were read."""
    from web.services.days import day_inputs, get_day, latest_import, problem_for
    from web.services.rotas import latest_published, version_rota
    from web.views import today

    read = 0
    with app.app_context():
        s = app.extensions["hah_db"].session()
        try:
            for page in PAGES:
                app.jinja_env.get_template(page)
            now = today()
            for when in (now - timedelta(days=1), now, now + timedelta(days=1)):
                d = get_day(s, when)
                if d is None:
                    continue
                imp = latest_import(s, d)
                if imp is not None:
                    day_inputs(imp)
                    problem_for(imp)
                published = latest_published(s, d)
                if published is not None:
                    version_rota(published)
                    read += 1
        except Exception:  # a cold cache is slower, never wrong
            log.warning("could not warm the caches", exc_info=True)
        finally:
            s.close()
    return read
