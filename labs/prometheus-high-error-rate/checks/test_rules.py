"""Checks for prometheus-high-error-rate.

The candidate's rules file is copied out of the sandbox and judged with the grader's own
promtool: `promtool check rules` for validity, and hidden promtool unit tests
(promtests/*.yml, made by promtests/generate.py) that replay api traffic and watch the
ALERTS series for HighErrorRate.
"""

import shutil

import pytest
import yaml

RULES = "/etc/prometheus/rules/api.rules.yml"
OTHER_RULES = ("job:http_requests:rate5m", "ApiDown", "HighLatency")


@pytest.fixture
def rules(host, copy_out, tmp_path):
    """The candidate's rules file, copied out of the sandbox into a work folder as rules.yml."""
    assert host.file(RULES).is_file, f"{RULES} is missing"
    local = tmp_path / "rules.yml"
    shutil.copyfile(copy_out(RULES, host="mon"), local)
    return local


def _groups(path):
    try:
        doc = yaml.safe_load(path.read_text())
    except yaml.YAMLError:
        return []
    groups = doc.get("groups") if isinstance(doc, dict) else None
    return [g for g in groups or [] if isinstance(g, dict)]


def _rules(path):
    return [r for g in _groups(path) for r in (g.get("rules") or []) if isinstance(r, dict)]


def _high_error_rate(path):
    return [r for r in _rules(path) if r.get("alert") == "HighErrorRate"]


def _scenario(name, rules, lab_dir, promtool):
    """Run one hidden unit test against the rules file; return promtool's result."""
    check = promtool("check", "rules", rules.name, cwd=rules.parent)
    assert check.rc == 0, (
        "The rules file does not pass promtool check rules, so the alert cannot be tested"
    )
    assert _high_error_rate(rules), "The rules file no longer defines the HighErrorRate alert"
    shutil.copy(lab_dir / "checks" / "promtests" / f"{name}.yml", rules.parent)
    return promtool("test", "rules", f"{name}.yml", cwd=rules.parent)


def _quiet(name, rules, lab_dir, promtool, noise):
    """A quiet scenario: no firing during `noise`, then firing in the outage that follows."""
    result = _scenario(name, rules, lab_dir, promtool)
    out = result.stdout + result.stderr
    assert not (result.rc and "count_over_time" in out), f"HighErrorRate fires on {noise}\n{out}"
    assert result.rc == 0, f"HighErrorRate does not fire in a 20% server error outage\n{out}"


# --- rules-valid ---------------------------------------------------------------------


@pytest.mark.task("rules-valid")
def test_rules_file_passes_promtool_check(rules, promtool):
    result = promtool("check", "rules", rules.name, cwd=rules.parent)
    assert result.rc == 0, f"promtool check rules rejects {RULES}\n{result.stdout}{result.stderr}"


@pytest.mark.task("rules-valid")
def test_rules_file_defines_high_error_rate_once(rules):
    assert len(_high_error_rate(rules)) == 1, (
        f"{RULES} must define the HighErrorRate alert exactly once"
    )


@pytest.mark.task("rules-valid")
def test_rules_file_keeps_the_other_rules(rules):
    names = {r.get("alert") or r.get("record") for r in _rules(rules)}
    missing = [n for n in OTHER_RULES if n not in names]
    assert not missing, f"The team's other rules are gone from {RULES}: {', '.join(missing)}"


# --- alert-fires ---------------------------------------------------------------------


@pytest.mark.task("alert-fires")
def test_fires_on_a_sustained_outage(rules, lab_dir, promtool):
    result = _scenario("fires-sustained", rules, lab_dir, promtool)
    assert result.rc == 0, (
        "HighErrorRate is not firing 10 minutes into an outage where 10% of api requests fail "
        f"with 500 or 503\n{result.stdout}{result.stderr}"
    )


@pytest.mark.task("alert-fires")
def test_fires_just_above_the_threshold(rules, lab_dir, promtool):
    result = _scenario("fires-just-above", rules, lab_dir, promtool)
    assert result.rc == 0, (
        f"HighErrorRate does not fire at a steady 7% server error rate\n{result.stdout}{result.stderr}"
    )


@pytest.mark.task("alert-fires")
def test_fires_on_bursty_errors(rules, lab_dir, promtool):
    result = _scenario("fires-bursty", rules, lab_dir, promtool)
    assert result.rc == 0, (
        "HighErrorRate does not fire when server errors come in bursts that stay above 5% "
        f"over every 5-minute window\n{result.stdout}{result.stderr}"
    )


# --- alert-quiet ---------------------------------------------------------------------


@pytest.mark.task("alert-quiet")
def test_quiet_at_a_steady_three_percent(rules, lab_dir, promtool):
    _quiet("quiet-steady", rules, lab_dir, promtool, "a steady 3% server error rate")


@pytest.mark.task("alert-quiet")
def test_quiet_on_client_errors(rules, lab_dir, promtool):
    _quiet(
        "quiet-client-errors",
        rules,
        lab_dir,
        promtool,
        "a high rate of 404s with few server errors",
    )


@pytest.mark.task("alert-quiet")
def test_quiet_on_a_short_spike(rules, lab_dir, promtool):
    _quiet("quiet-spike", rules, lab_dir, promtool, "a one-minute spike of server errors")


@pytest.mark.task("alert-quiet")
def test_waits_five_minutes_before_firing(rules, lab_dir, promtool):
    result = _scenario("quiet-waits", rules, lab_dir, promtool)
    out = result.stdout + result.stderr
    assert not (result.rc and "count_over_time" in out), (
        f"HighErrorRate fires before the 5-minute error ratio has stayed above 5% for 5 minutes\n{out}"
    )
    assert result.rc == 0, (
        f"HighErrorRate does not fire in a sustained 10% server error outage\n{out}"
    )


# --- alert-labels --------------------------------------------------------------------


@pytest.mark.task("alert-labels")
def test_firing_alert_carries_job_and_severity_page(rules, lab_dir, promtool):
    result = _scenario("labels", rules, lab_dir, promtool)
    out = result.stdout + result.stderr
    assert 'expr: "group(ALERTS' not in out, (
        f"HighErrorRate does not fire in a 20% outage, so it cannot page anyone\n{out}"
    )
    assert result.rc == 0, (
        f"When HighErrorRate fires, its labels do not route it to the api on-call pager\n{out}"
    )


@pytest.mark.task("alert-labels")
def test_alert_has_a_summary(rules):
    alerts = _high_error_rate(rules)
    summary = (alerts[0].get("annotations") or {}).get("summary") if alerts else None
    assert isinstance(summary, str) and summary.strip(), "HighErrorRate has no summary annotation"
