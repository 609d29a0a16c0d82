"""Run a lab's checks against a target in a pytest subprocess and build the Report.

A subprocess keeps each lab's check modules, and any check that wedges, away from the
caller (a Celery worker, the CLI); its overall timeout backs up the per-check one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader.lab import Lab
from grader.report import Report, TaskResult, grader_version


class GradingError(Exception):
    """The grader itself could not run (not a lab problem, not a candidate problem)."""


def run_checks(lab: Lab, target: dict) -> dict:
    """Run pytest on lab/checks with the plugin; return its raw per-check outcomes."""
    n_checks = sum(len(v) for v in lab.checks.values())
    budget = lab.check_timeout_seconds * max(n_checks, 1) + 60
    with tempfile.TemporaryDirectory(prefix="opslab-grade-") as tmp:
        tmpd = Path(tmp)
        (tmpd / "targets.json").write_text(json.dumps(target))
        (tmpd / "pytest.ini").write_text("[pytest]\n")
        results = tmpd / "results.json"
        cmd = [
            sys.executable, "-m", "pytest", "-c", str(tmpd / "pytest.ini"), "--rootdir", str(lab.path),
            "-p", "grader.plugin", "-p", "pytest_timeout", "-p", "no:cacheprovider",
            "-p", "no:stepwise", "--import-mode=importlib", "-q", "--no-header", "-rN",
            f"--timeout={lab.check_timeout_seconds}", "--timeout-method=signal",
            "--basetemp", str(tmpd / "t"), "--opslab-targets", str(tmpd / "targets.json"),
            "--opslab-results", str(results), "--opslab-lab", str(lab.path), str(lab.path / "checks"),
        ]
        env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1",
               **target.get("env", {})}
        try:
            proc = subprocess.run(cmd, cwd=lab.path, env=env, capture_output=True, text=True,
                                  timeout=budget)
        except subprocess.TimeoutExpired:
            raise GradingError(f"grading {lab.id} took longer than {budget} s and was stopped") from None
        if not results.exists():
            raise GradingError(f"pytest did not run the checks of {lab.id} (exit {proc.returncode}):\n"
                               + (proc.stdout + proc.stderr)[-3000:])
        raw = json.loads(results.read_text())
        raw["output"] = (proc.stdout + proc.stderr)[-5000:]
        return raw


def grade(lab: Lab, target: dict) -> Report:
    """Score every task of `lab` against `target`; a task passes when all its checks pass."""
    started = time.time()
    t0 = time.monotonic()
    try:
        raw = run_checks(lab, target)
        lab_error = "\n".join(raw["collect_errors"]) or None
    except GradingError as e:
        raw, lab_error = {"checks": {}}, str(e)
    tasks = []
    for task in lab.spec.tasks:
        checks = [c for c in raw["checks"].values() if task.id in c["tasks"]]
        failed = [c for c in checks if not c["passed"]]
        passed = bool(checks) and not failed and lab_error is None
        feedback = ""
        if not passed:
            feedback = failed[0]["feedback"] if failed else "this task could not be checked"
        tasks.append(TaskResult(task.id, task.title, task.points, task.points if passed else 0,
                                passed, feedback))
    if lab_error is None and not raw["checks"]:
        lab_error = "no checks ran:\n" + raw.get("output", "")
    report = Report(lab=lab.id, lab_version=lab.version, grader_version=grader_version(), tasks=tasks,
                    duration_seconds=round(time.monotonic() - t0, 3), started_at=started,
                    skills=list(lab.spec.skills), lab_error=lab_error,
                    details={k: v["detail"] for k, v in raw["checks"].items() if v["detail"]})
    return report
