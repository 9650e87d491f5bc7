"""The WSGI app for a server started by hand (``gunicorn 'web.wsgi:app'``); ``hah serve`` is
the documented way (it migrates once in gunicorn's master and then turns migration off in the
workers). Started this way each worker migrates, under the migration lock
(``web.db.migration_lock``), so several workers on a fresh database still boot; set
``HAH_MIGRATE=0`` after ``hah db upgrade`` to skip it."""

from web import create_app

app = create_app()
