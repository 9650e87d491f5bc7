"""``web.warm``: a fresh web worker reads the days around today before its first request."""

from __future__ import annotations

from tests.support.web import DAY
from web.models import DayImport
from web.services import days, rotas
from web.serving import options
from web.warm import PAGES, warm_caches


def test_a_worker_reads_todays_day_and_published_rota_before_any_request(app, db, published):
    app.config["HAH_TODAY"] = DAY
    days._DAYS.clear()
    rotas._ROTAS.clear()
    assert warm_caches(app) == 1
    imp = db.get(DayImport, published.import_id)
    assert days._DAYS.get(("day", days.content_key(imp))) is not None
    assert days._DAYS.get(("problem", days.content_key(imp))) is not None
    assert rotas._ROTAS.get(rotas.rota_key(published)) == rotas.rota_from_json(published.rota)
    cached = {name for _, name in app.jinja_env.cache or {}}
    assert set(PAGES) <= cached


def test_a_day_far_from_today_is_left_alone(app, published):
    app.config["HAH_TODAY"] = "2027-06-01"
    rotas._ROTAS.clear()
    assert warm_caches(app) == 0
    assert rotas._ROTAS.get(rotas.rota_key(published)) is None


def test_gunicorn_warms_each_worker_after_it_forks():
    assert options("127.0.0.1", 8000)["post_worker_init"].__name__ == "_post_worker_init"
