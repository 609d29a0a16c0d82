"""Celery entry: `celery -A webapp.worker worker` / `celery -A webapp.worker beat`."""

from webapp import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
