"""The CLI as a candidate and an instructor use it, against the real engine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from opslab.cli import main

OPSLAB = Path(sys.executable).parent / "opslab"


def test_start_check_fix_check_stop(greeting_lab_dir, provider, monkeypatch):
    monkeypatch.setenv("OPSLAB_LABS", str(greeting_lab_dir.parent))
    runner = CliRunner()
    started = runner.invoke(main, ["lab", "start", "greeting-file"])
    assert started.exit_code == 0, started.output
    session = started.stdout.strip().splitlines()[-1]
    try:
        first = runner.invoke(main, ["check", session])
        assert first.exit_code == 0
        assert "todo    0/2     greeting-present  /srv/greeting.txt does not say hello yet" in first.output
        assert "score 0/3" in first.output
        # the candidate fixes it in their shell (`opslab shell`, fed from a pipe instead of a keyboard)
        shell = subprocess.run([str(OPSLAB), "shell", session], input="echo hello > /srv/greeting.txt\n"
                               "chmod 600 /srv/greeting.txt\nhostname\n", capture_output=True, text=True,
                               timeout=60, env={**os.environ, "OPSLAB_LABS": str(greeting_lab_dir.parent)})
        assert shell.returncode == 0 and "box" in shell.stdout, shell.stderr
        final = runner.invoke(main, ["check", session, "--json"])
        view = json.loads(final.stdout)
        assert (view["score"], view["max_score"]) == (3, 3)
        assert all(t["passed"] for t in view["tasks"])
        assert session in runner.invoke(main, ["sandbox", "list"]).output
    finally:
        stopped = runner.invoke(main, ["stop", session])
    assert stopped.exit_code == 0
    gone = runner.invoke(main, ["check", session])
    assert gone.exit_code == 1 and f"no sandbox for session '{session}'" in gone.output


def test_validate_prints_a_table_and_json(greeting_lab_dir, provider, monkeypatch):
    monkeypatch.setenv("OPSLAB_LABS", str(greeting_lab_dir.parent))
    result = CliRunner().invoke(main, ["lab", "validate", "--json", "greeting-file"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"] and [s["name"] for s in data["labs"][0]["steps"]] == ["setup", "solution", "cheat:world-readable"]


def test_a_scaffolded_lab_validates_unchanged(tmp_path, provider, monkeypatch):
    monkeypatch.setenv("OPSLAB_LABS", str(tmp_path))
    made = CliRunner().invoke(main, ["lab", "new", "status-config"])
    assert made.exit_code == 0 and "opslab lab validate status-config" in made.output
    again = CliRunner().invoke(main, ["lab", "new", "status-config"])
    assert again.exit_code == 1 and "already exists" in again.output
    assert "not a lab id" in CliRunner().invoke(main, ["lab", "new", "Bad_Id"]).output
    result = CliRunner().invoke(main, ["lab", "validate", "status-config", "--json"])
    out = json.loads(result.stdout)
    assert result.exit_code == 0 and out["ok"], result.output
    assert {s["name"] for s in out["labs"][0]["steps"]} == {"setup", "solution", "cheat:delete-the-token",
                                                           "cheat:move-the-pages"}


def test_stop_save_then_start_restore(greeting_lab_dir, provider, monkeypatch, tmp_path):
    from opslab import engine

    monkeypatch.setenv("OPSLAB_LABS", str(greeting_lab_dir.parent))
    runner = CliRunner()
    session = runner.invoke(main, ["lab", "start", "greeting-file"]).stdout.strip().splitlines()[-1]
    engine.get_sandbox(session).exec("box", ["/bin/sh", "-c", "echo hello > /srv/greeting.txt"])
    stopped = runner.invoke(main, ["stop", session, "--save", str(tmp_path / "work")])
    assert stopped.exit_code == 0 and "saved " in stopped.output, stopped.output
    again = runner.invoke(main, ["lab", "start", "greeting-file", "--restore", str(tmp_path / "work")])
    assert again.exit_code == 0, again.output
    resumed = again.stdout.strip().splitlines()[-1]
    try:
        assert "putting your saved work back" in again.output
        assert engine.get_sandbox(resumed).exec("box", ["cat", "/srv/greeting.txt"]).stdout == "hello\n"
    finally:
        runner.invoke(main, ["stop", resumed])
    wrong = runner.invoke(main, ["lab", "start", "greeting-file", "--restore", str(tmp_path)])
    assert wrong.exit_code == 1 and "is not saved work" in wrong.output
