"""`opslab sandbox reap` asks the web platform's database what it still needs, when there is one."""

from __future__ import annotations

import pytest

from opslab.cli.operators import _platform_keeps


def test_no_platform_database_means_the_engine_decides(tmp_path, monkeypatch):
    monkeypatch.setenv("OPSLAB_DATABASE_URL", f"sqlite:///{tmp_path / 'opslab.db'}")
    assert _platform_keeps() == frozenset()
    assert not (tmp_path / "opslab.db").exists()  # asking did not create one


def test_an_unreadable_platform_database_stops_the_reaper(tmp_path, monkeypatch, capsys):
    (tmp_path / "opslab.db").write_bytes(b"this is not a database" * 100)
    monkeypatch.setenv("OPSLAB_DATABASE_URL", f"sqlite:///{tmp_path / 'opslab.db'}")
    monkeypatch.setenv("OPSLAB_SECRET_KEY", "t")
    with pytest.raises(SystemExit) as e:
        _platform_keeps()
    message = capsys.readouterr().err
    assert e.value.code == 1
    assert message.startswith("error: cannot read the platform's database") and "--engine-only" in message
