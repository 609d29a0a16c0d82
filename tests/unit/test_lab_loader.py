"""The lab loader: every malformed lab gives an error naming the file, the key and the fix."""

from __future__ import annotations

import shutil

import pytest
import yaml

from grader.catalogue import find_lab
from grader.errors import LabFormatError, LabNotFound
from grader.lab import lab_version
from grader.loader import load_lab
from grader.schema import parse_duration, parse_size


class _PlainDumper(yaml.SafeDumper):
    """Writes a repeated object out again instead of an alias, as an author types YAML."""

    def ignore_aliases(self, data):
        return True


def edit_yaml(lab_dir, change):
    data = yaml.safe_load((lab_dir / "lab.yaml").read_text())
    change(data)
    (lab_dir / "lab.yaml").write_text(yaml.dump(data, Dumper=_PlainDumper))


def problems(lab_dir) -> list[str]:
    with pytest.raises(LabFormatError) as e:
        load_lab(lab_dir)
    return [str(p) for p in e.value.problems]


def test_fixture_lab_loads(greeting_lab_dir):
    lab = load_lab(greeting_lab_dir)
    assert lab.id == "greeting-file"
    assert lab.max_score == 3
    assert lab.checks["greeting-present"] == ("checks/test_greeting.py::test_greeting_says_hello",)
    assert [c.targets for c in lab.cheats] == [("greeting-private",)]


@pytest.mark.parametrize("change, expected", [
    (lambda d: d.update(colour="blue"), "lab.yaml: colour: unknown key; expected one of: format, id"),
    (lambda d: d.pop("title"), "lab.yaml: title: required key is missing"),
    (lambda d: d.update(difficulty="easy"), "lab.yaml: difficulty: Input should be 'beginner'"),
    (lambda d: d.update(skills=["cooking"]), "lab.yaml: skills: unknown skill 'cooking'"),
    (lambda d: d.update(duration="twenty"), "lab.yaml: duration: expected a duration such as 90s"),
    (lambda d: d["tasks"][0].update(points="many"), "lab.yaml: tasks[0].points: Input should be a valid integer"),
    (lambda d: d["sandbox"]["hosts"][0].update(cpu=2), "lab.yaml: sandbox.hosts[0].cpu: unknown key; expected one of: name, image"),
    (lambda d: d["sandbox"]["hosts"][0]["resources"].update(memory="lots"),
     "lab.yaml: sandbox.hosts[0].resources.memory: expected a size such as 256m"),
    (lambda d: d["sandbox"]["hosts"][0].pop("image"), "lab.yaml: sandbox.hosts[0]: expected exactly one of 'image'"),
    (lambda d: d["tasks"].append(dict(d["tasks"][0])), "lab.yaml: tasks: task ids must be unique, repeated: greeting-present"),
    (lambda d: d.update(id="other-id"), "lab.yaml: id: must equal the folder name 'greeting-file'"),
    (lambda d: d["sandbox"]["hosts"][0].update(services="service nginx start"),
     "lab.yaml: sandbox.hosts[0].services: Input should be a valid list"),
    (lambda d: d["sandbox"]["hosts"][0].update(services=[""]), "lab.yaml: sandbox.hosts[0].services[0]: String should have at least 1"),
])
def test_bad_lab_yaml_names_file_and_key(greeting_lab_dir, change, expected):
    edit_yaml(greeting_lab_dir, change)
    found = problems(greeting_lab_dir)
    assert any(p.startswith(expected) for p in found), found


def test_yaml_syntax_error_names_line(greeting_lab_dir):
    (greeting_lab_dir / "lab.yaml").write_text("id: greeting-file\ntitle: [unclosed\n")
    assert any(p.startswith("lab.yaml: line") and "not valid YAML" in p for p in problems(greeting_lab_dir))


@pytest.mark.parametrize("missing", ["README.md", "setup.sh", "solution.sh"])
def test_missing_required_file(greeting_lab_dir, missing):
    (greeting_lab_dir / missing).unlink()
    assert f"{missing}: missing; every lab needs README.md, setup.sh, solution.sh and checks/" in problems(greeting_lab_dir)


def test_missing_checks_folder(greeting_lab_dir):
    for f in (greeting_lab_dir / "checks").iterdir():
        f.unlink()
    (greeting_lab_dir / "checks").rmdir()
    assert "checks/: missing folder; expected checks/test_*.py files" in problems(greeting_lab_dir)


def test_task_without_checks(greeting_lab_dir):
    edit_yaml(greeting_lab_dir, lambda d: d["tasks"].append({"id": "orphan-task", "title": "x"}))
    assert any("task 'orphan-task' has no checks" in p for p in problems(greeting_lab_dir))


def test_check_marked_with_unknown_task(greeting_lab_dir):
    (greeting_lab_dir / "checks" / "test_extra.py").write_text(
        'import pytest\n\n@pytest.mark.task("no-such-task")\ndef test_x(host):\n    assert True\n')
    found = problems(greeting_lab_dir)
    assert any(p.startswith("checks/test_extra.py: test_x: marked with unknown task 'no-such-task'") for p in found), found


def test_unmarked_check(greeting_lab_dir):
    (greeting_lab_dir / "checks" / "test_extra.py").write_text("def test_unmarked(host):\n    assert True\n")
    assert any(p.startswith("checks/test_extra.py: test_unmarked: not marked") for p in problems(greeting_lab_dir))


def test_check_syntax_error(greeting_lab_dir):
    (greeting_lab_dir / "checks" / "test_extra.py").write_text("def test_broken(:\n")
    assert any(p.startswith("checks/test_extra.py: line 1: syntax error") for p in problems(greeting_lab_dir))


def test_cheat_targeting_unknown_task(greeting_lab_dir):
    (greeting_lab_dir / "cheats" / "bad.sh").write_text("# targets: nope-task\ntrue\n")
    assert any(p.startswith("cheats/bad.sh: targets:") for p in problems(greeting_lab_dir))


def test_version_changes_with_content_not_with_caches(greeting_lab_dir):
    before = lab_version(greeting_lab_dir)
    (greeting_lab_dir / "checks" / "__pycache__").mkdir()
    (greeting_lab_dir / "checks" / "__pycache__" / "x.pyc").write_bytes(b"junk")
    assert lab_version(greeting_lab_dir) == before
    (greeting_lab_dir / "README.md").write_text("changed")
    assert lab_version(greeting_lab_dir) != before


def test_unknown_lab_lists_known_ones(greeting_lab_dir):
    with pytest.raises(LabNotFound, match="known labs: greeting-file"):
        find_lab("nope-lab", root=greeting_lab_dir.parent)


@pytest.mark.parametrize("text, seconds", [("90s", 90), ("20m", 1200), ("1h", 3600)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


def test_sizes():
    assert parse_size("256m") == 256 << 20
    with pytest.raises(ValueError):
        parse_size("huge")


def test_cached_lookup_sees_edits(greeting_lab_dir):
    from grader.catalogue import find_lab_cached

    first = find_lab_cached("greeting-file", root=greeting_lab_dir.parent)
    assert find_lab_cached("greeting-file", root=greeting_lab_dir.parent) is first
    (greeting_lab_dir / "README.md").write_text("# changed\n")
    assert find_lab_cached("greeting-file", root=greeting_lab_dir.parent).version != first.version


# -- limits: one bad lab never hangs or breaks the catalogue ---------------------------------

def test_an_alias_bomb_is_refused_at_once(greeting_lab_dir):
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
        f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True))
    (greeting_lab_dir / "lab.yaml").write_text(bomb + "id: *i\n")
    found = problems(greeting_lab_dir)
    assert any("aliases (*name) are not allowed" in p for p in found), found


def test_a_file_that_is_not_utf8_is_named(greeting_lab_dir):
    (greeting_lab_dir / "cheats" / "world-readable.sh").write_bytes(b"#!/bin/bash\n\xff\xfe echo\n")
    assert "cheats/world-readable.sh: is not UTF-8 text (byte 12); save it as UTF-8" in problems(greeting_lab_dir)


def test_an_oversized_lab_yaml_is_refused(greeting_lab_dir):
    with open(greeting_lab_dir / "lab.yaml", "a") as f:
        f.write("# " + "x" * (70 << 10) + "\n")
    assert any(p.startswith("lab.yaml: is 70 KiB; at most 64 KiB") for p in problems(greeting_lab_dir))


def test_symlinks_in_a_lab_are_refused(greeting_lab_dir):
    (greeting_lab_dir / "files").mkdir(exist_ok=True)
    (greeting_lab_dir / "files" / "passwd").symlink_to("/etc/passwd")
    found = problems(greeting_lab_dir)
    assert "files/passwd: is a symbolic link; a lab holds plain files (copy the file in)" in found, found


def test_a_broken_lab_leaves_the_rest_of_the_catalogue_listed(tmp_path, greeting_lab_dir, monkeypatch):
    from click.testing import CliRunner

    from opslab.cli import main

    shutil.copytree(greeting_lab_dir, tmp_path / "cat" / "greeting-file")
    broken = tmp_path / "cat" / "broken-lab"
    shutil.copytree(greeting_lab_dir, broken)
    (broken / "lab.yaml").write_bytes(b"id: broken-lab\ntitle: \xff\n")
    monkeypatch.setenv("OPSLAB_LABS", str(tmp_path / "cat"))
    out = CliRunner().invoke(main, ["lab", "list"]).output
    assert "broken-lab" in out and "INVALID" in out and "lab.yaml: is not UTF-8 text" in out
    assert "greeting-file" in out and "beginner" in out


def test_a_very_long_lab_id_is_not_found_without_touching_the_disk():
    with pytest.raises(LabNotFound):
        find_lab("a" * 300)


def test_service_hosts_get_no_shell_but_a_lab_needs_one(greeting_lab_dir):
    def hosts(*shells):
        return lambda d: d["sandbox"].update(hosts=[
            {"name": f"h{i}", "image": "opslab/base", "shell": sh} for i, sh in enumerate(shells)])

    edit_yaml(greeting_lab_dir, hosts(True, False))
    lab = load_lab(greeting_lab_dir)
    assert [h.name for h in lab.hosts] == ["h0", "h1"] and [h.name for h in lab.shell_hosts] == ["h0"]
    edit_yaml(greeting_lab_dir, hosts(False))
    assert any("at least one host the candidate gets a shell on" in p for p in problems(greeting_lab_dir))
