"""WSGI entry for gunicorn: `gunicorn webapp.wsgi:app`."""

from webapp import create_app

app = create_app()
app.extensions["opslab.assets"].names()  # hashed static names and their .gz, before the first page
