"""var/, the SQLite database, logs and recordings are readable by their owner only."""

from __future__ import annotations

import os
import stat

import pytest


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(autouse=True)
def lax_umask():
    """The modes must not depend on a careful umask."""
    old = os.umask(0o002)
    yield
    os.umask(old)


def test_var_is_created_private_and_an_old_one_is_tightened(tmp_path, monkeypatch):
    from webapp.config import defaults

    var = tmp_path / "var"
    monkeypatch.setenv("OPSLAB_VAR", str(var))
    monkeypatch.delenv("OPSLAB_SECRET_KEY", raising=False)
    defaults()
    assert mode(var) == 0o700 and mode(var / "secret_key") == 0o600
    os.chmod(var, 0o755)  # made by an older version
    defaults()
    assert mode(var) == 0o700


def test_the_sqlite_database_and_its_wal_are_private(tmp_path, monkeypatch):
    from sqlalchemy import text

    from webapp.db import make_engine

    monkeypatch.setenv("OPSLAB_VAR", str(tmp_path / "var"))
    db = tmp_path / "new" / "dir" / "opslab.db"
    engine = make_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(text("create table t (x int)"))
        conn.execute(text("insert into t values (1)"))
    assert mode(db.parent) == 0o700 and mode(db.parent.parent) == 0o700
    for f in db.parent.iterdir():  # opslab.db, -wal, -shm
        assert mode(f) == 0o600, f.name
    engine.dispose()


def test_an_existing_database_file_is_tightened(tmp_path, monkeypatch):
    from webapp.db import make_engine

    monkeypatch.setenv("OPSLAB_VAR", str(tmp_path / "var"))
    chosen = tmp_path / "srv"
    chosen.mkdir()
    os.chmod(chosen, 0o755)
    db = chosen / "old.db"
    db.touch()
    os.chmod(db, 0o644)
    make_engine(f"sqlite:///{db}").dispose()
    assert mode(db) == 0o600 and mode(chosen) == 0o755  # a folder the operator chose stays as it is


def test_recordings_are_private(tmp_path):
    from webapp.recording import Recorder

    path = tmp_path / "rec" / "s1" / "box.cast"
    Recorder(path, 80, 24, "t").close()
    assert mode(path) == 0o600 and mode(path.parent) == 0o700 and mode(path.parent.parent) == 0o700
    os.chmod(path, 0o644)  # recorded by an older version: tightened on the next attach
    Recorder(path, 80, 24, "t").close()
    assert mode(path) == 0o600


def test_platform_logs_are_private(tmp_path):
    from webapp.launcher import private_log

    with private_log(tmp_path / "web.log") as f:
        f.write(b"x")
    assert mode(tmp_path / "web.log") == 0o600
