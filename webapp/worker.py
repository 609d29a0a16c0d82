"""Celery entry: `celery -A webapp.worker worker -Q sessions` (sandbox lifecycle), `-Q grade`
(Checks), `-Q final` (final grades), and `celery -A webapp.worker beat`; `opslab platform`
starts them all (webapp.launcher.worker_commands)."""

from webapp import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
