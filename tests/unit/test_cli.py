"""The CLI on the catalogue, without a Docker engine: listing, showing, clear errors."""

from __future__ import annotations

import shutil

from click.testing import CliRunner

from opslab.cli import main


def test_list_shows_a_broken_lab_as_invalid(tmp_path, greeting_lab_dir, monkeypatch):
    root = greeting_lab_dir.parent
    broken = root / "broken-lab"
    shutil.copytree(greeting_lab_dir, broken)
    (broken / "lab.yaml").write_text((broken / "lab.yaml").read_text().replace("greeting-file", "broken-lab")
                                     .replace("difficulty: beginner", "difficulty: trivial"))
    monkeypatch.setenv("OPSLAB_LABS", str(root))
    out = CliRunner().invoke(main, ["lab", "list"]).output
    assert "greeting-file  beginner" in out
    assert "broken-lab     INVALID" in out and "lab.yaml: difficulty" in out


def test_show_lists_tasks_and_cheats(greeting_lab_dir, monkeypatch):
    monkeypatch.setenv("OPSLAB_LABS", str(greeting_lab_dir.parent))
    out = CliRunner().invoke(main, ["lab", "show", "greeting-file"]).output
    assert "greeting-present  2" in out
    assert "cheats: world-readable (targets greeting-private)" in out


def test_unknown_lab_is_an_error_with_the_known_ones(greeting_lab_dir, monkeypatch):
    monkeypatch.setenv("OPSLAB_LABS", str(greeting_lab_dir.parent))
    result = CliRunner().invoke(main, ["lab", "show", "no-such-lab"])
    assert result.exit_code == 1
    assert "error: no lab named 'no-such-lab'; known labs: greeting-file" in result.output


def test_validate_without_an_engine_says_how_to_start_it(greeting_lab_dir, monkeypatch):
    (greeting_lab_dir / "solution.sh").unlink()
    monkeypatch.setenv("OPSLAB_LABS", str(greeting_lab_dir.parent))
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent.sock")
    result = CliRunner().invoke(main, ["lab", "validate", "greeting-file"])
    assert result.exit_code == 1
    assert "cannot reach the Docker engine" in result.output and "make docker" in result.output


def test_an_unknown_provider_is_an_error_with_the_known_ones(greeting_lab_dir, monkeypatch):
    monkeypatch.setenv("OPSLAB_LABS", str(greeting_lab_dir.parent))
    monkeypatch.setenv("OPSLAB_PROVIDER", "kubernetes-someday")
    result = CliRunner().invoke(main, ["sandbox", "list"])
    assert result.exit_code == 1
    assert "error: unknown sandbox provider 'kubernetes-someday' (OPSLAB_PROVIDER); known: docker" in result.output
    assert "Traceback" not in result.output
