"""Celery entry: `celery -A webapp.worker worker -Q sessions` (sandbox lifecycle),
`celery -A webapp.worker worker -Q grade` (Checks and final grades), `celery -A webapp.worker
beat`; `opslab platform` starts all three (webapp.launcher.worker_commands)."""

from webapp import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
