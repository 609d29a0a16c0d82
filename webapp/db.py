"""SQLAlchemy wiring: one engine per app, a session per request (or per Celery task)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from flask import current_app, g
from sqlalchemy import create_engine, event, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from webapp.config import private_dir, private_file, var_dir


class Base(DeclarativeBase):
    pass


def private_sqlite(url: str) -> None:
    """A SQLite database file is the whole platform (password hashes, reports): created 0600
    in a folder created 0700, before SQLite opens it (its -wal and -shm files take the mode
    of the database file)."""
    u = make_url(url)
    if not u.drivername.startswith("sqlite") or u.database in (None, "", ":memory:") or \
            u.database.startswith("file:") or u.query.get("uri"):
        return
    path = Path(u.database)
    private_dir(path.parent, tighten=path.parent.resolve() == var_dir().resolve())  # not a folder you chose
    private_file(path)


def make_engine(url: str):
    kwargs = {"future": True, "pool_pre_ping": True}
    if url.startswith("sqlite"):
        private_sqlite(url)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        @event.listens_for(engine, "connect")
        def _pragmas(conn, _):  # WAL lets the web server read while a worker writes
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
    return engine


def init_app(app) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["db_sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.extensions["db_engine"] = engine
    app.teardown_appcontext(_close)


def db() -> Session:
    """The current request's session, opened lazily."""
    if "db" not in g:
        g.db = current_app.extensions["db_sessionmaker"]()
    return g.db


def _close(_exc=None) -> None:
    s = g.pop("db", None)
    if s is not None:
        s.close()


@contextmanager
def session_scope(app):
    """A session outside a request (Celery tasks, CLI)."""
    s = app.extensions["db_sessionmaker"]()
    try:
        yield s
    finally:
        s.close()
