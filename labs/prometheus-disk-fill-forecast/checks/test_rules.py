"""Checks for prometheus-disk-fill-forecast.

The candidate's rules file is copied out of the sandbox and judged with the grader's own
promtool: `promtool check rules` for validity, and hidden promtool unit tests
(promtests/*.yml, made by promtests/generate.py) that replay node_exporter filesystem
metrics and watch the ALERTS series for DiskWillFillIn4h.
"""

import shutil

import pytest
import yaml

RULES = "/etc/prometheus/rules/node.rules.yml"
ALERT = "DiskWillFillIn4h"
OTHER_RULES = ("instance:node_filesystem_used:ratio", "NodeDown", "DiskAlmostFull")


@pytest.fixture
def rules(host, copy_out, tmp_path):
    """The candidate's rules file, copied out of the sandbox into a work folder as rules.yml."""
    assert host.file(RULES).is_file, f"{RULES} is missing"
    local = tmp_path / "rules.yml"
    shutil.copyfile(copy_out(RULES, host="mon"), local)
    return local


def _rules(path):
    try:
        doc = yaml.safe_load(path.read_text())
    except yaml.YAMLError:
        return []
    groups = doc.get("groups") if isinstance(doc, dict) else None
    return [r for g in groups or [] if isinstance(g, dict)
            for r in (g.get("rules") or []) if isinstance(r, dict)]


def _alerts(path):
    return [r for r in _rules(path) if r.get("alert") == ALERT]


def _scenario(name, rules, lab_dir, promtool):
    """Run one hidden unit test against the rules file; return promtool's result."""
    check = promtool("check", "rules", rules.name, cwd=rules.parent)
    assert check.rc == 0, "The rules file does not pass promtool check rules, so the alert cannot be tested"
    assert _alerts(rules), f"The rules file no longer defines the {ALERT} alert"
    shutil.copy(lab_dir / "checks" / "promtests" / f"{name}.yml", rules.parent)
    return promtool("test", "rules", f"{name}.yml", cwd=rules.parent)


def _quiet(name, rules, lab_dir, promtool, case):
    """A quiet scenario: no firing during `case`, then firing when a disk really fills."""
    result = _scenario(name, rules, lab_dir, promtool)
    out = result.stdout + result.stderr
    assert not (result.rc and "count_over_time" in out), f"{ALERT} fires {case}\n{out}"
    assert result.rc == 0, (
        f"{ALERT} does not fire when, after {case}, a disk really fills up within hours\n{out}"
    )


# --- rules-valid ---------------------------------------------------------------------


@pytest.mark.task("rules-valid")
def test_rules_file_passes_promtool_check(rules, promtool):
    result = promtool("check", "rules", rules.name, cwd=rules.parent)
    assert result.rc == 0, f"promtool check rules rejects {RULES}\n{result.stdout}{result.stderr}"


@pytest.mark.task("rules-valid")
def test_rules_file_defines_the_alert_once(rules):
    assert len(_alerts(rules)) == 1, f"{RULES} must define the {ALERT} alert exactly once"


@pytest.mark.task("rules-valid")
def test_rules_file_keeps_the_other_rules(rules):
    names = {r.get("alert") or r.get("record") for r in _rules(rules)}
    missing = [n for n in OTHER_RULES if n not in names]
    assert not missing, f"The team's other rules are gone from {RULES}: {', '.join(missing)}"


# --- fires-filling -------------------------------------------------------------------


@pytest.mark.task("fires-filling")
def test_fires_for_a_steadily_filling_disk(rules, lab_dir, promtool):
    result = _scenario("fires-steady-fill", rules, lab_dir, promtool)
    assert result.rc == 0, (
        f"{ALERT} is not firing for a disk that has been losing 1 GiB a minute for 2.5 hours "
        f"with 150 GiB left\n{result.stdout}{result.stderr}"
    )


@pytest.mark.task("fires-filling")
def test_fires_for_the_filling_disk_among_others(rules, lab_dir, promtool):
    result = _scenario("fires-one-of-many", rules, lab_dir, promtool)
    assert result.rc == 0, (
        f"{ALERT} does not fire (only) for web-1's /var/log, which is filling while the other "
        f"filesystems hold steady\n{result.stdout}{result.stderr}"
    )


# --- stays-quiet ---------------------------------------------------------------------


@pytest.mark.task("stays-quiet")
def test_quiet_for_a_full_but_steady_disk(rules, lab_dir, promtool):
    _quiet("quiet-steady-full", rules, lab_dir, promtool, "for a disk that is 97% full but not filling")


@pytest.mark.task("stays-quiet")
def test_quiet_for_a_slowly_filling_disk(rules, lab_dir, promtool):
    _quiet("quiet-slow-fill", rules, lab_dir, promtool,
           "for a disk that is filling, but more than 4 hours away from full")


@pytest.mark.task("stays-quiet")
def test_quiet_for_a_burst_of_writes(rules, lab_dir, promtool):
    _quiet("quiet-burst", rules, lab_dir, promtool,
           "on a 5-minute burst of writes that is deleted again 5 minutes later")


@pytest.mark.task("stays-quiet")
def test_quiet_for_tmpfs(rules, lab_dir, promtool):
    _quiet("quiet-tmpfs", rules, lab_dir, promtool, "for a tmpfs filling up")


# --- alert-labels --------------------------------------------------------------------


@pytest.mark.task("alert-labels")
def test_firing_alert_pages_with_instance_and_mountpoint(rules, lab_dir, promtool):
    result = _scenario("labels", rules, lab_dir, promtool)
    out = result.stdout + result.stderr
    assert not (result.rc and "got: nil" in out), (
        f"{ALERT} does not fire for a filling disk, so it cannot page anyone\n{out}"
    )
    assert result.rc == 0, (
        f"When {ALERT} fires, it does not carry severity page with the instance and mountpoint "
        f"of the filesystem\n{out}"
    )


@pytest.mark.task("alert-labels")
def test_alert_has_a_summary(rules):
    alerts = _alerts(rules)
    summary = (alerts[0].get("annotations") or {}).get("summary") if alerts else None
    assert isinstance(summary, str) and summary.strip(), f"{ALERT} has no summary annotation"
