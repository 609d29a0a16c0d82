"""Run a lab's checks against a target in a fresh process and build the Report.

Each run is its own process, forked from a preloaded zygote (grader.zygote), so one lab's
check modules, and any check that wedges, stay away from the caller (a Celery worker, the
CLI); an overall timeout, which kills the run, backs up the per-check one.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from grader.lab import Lab
from grader.report import Report, TaskResult, grader_version


class GradingError(Exception):
    """The grader itself could not run (not a lab problem, not a candidate problem)."""


class _Zygote:
    """The client side of grader.zygote: started on first use, restarted if it died."""

    def __init__(self):
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._dir = ""

    def _ensure(self, drivers: tuple[str, ...] = ()) -> str:
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._dir = tempfile.mkdtemp(prefix="opslab-zygote-")
                sock = os.path.join(self._dir, "sock")
                self._proc = subprocess.Popen([sys.executable, "-m", "grader.zygote", sock, *drivers],
                                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                              env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
                if self._proc.stdout.readline().strip() != b"ready":
                    raise GradingError("the grader's fork server did not start; run `python -m grader.zygote` to see why")
            return os.path.join(self._dir, "sock")

    def run(self, args: list[str], env: dict, cwd: Path, log: Path, budget: float, driver: str = "") -> int:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(self._ensure((driver,) if driver else ()))
        conn.sendall(json.dumps({"args": args, "env": env, "cwd": str(cwd), "log": str(log)}).encode())
        conn.shutdown(socket.SHUT_WR)
        conn.settimeout(budget)
        reader = conn.makefile("rb")
        pid = None
        try:
            pid = json.loads(reader.readline())["pid"]
            line = reader.readline()
            return json.loads(line)["exit"] if line else -1
        except TimeoutError:
            if pid:
                os.kill(pid, signal.SIGKILL)
            raise
        finally:
            reader.close()
            conn.close()


_zygote = _Zygote()


def warm_up(drivers: tuple[str, ...] = ()) -> None:
    """Start the grader's fork server now (a long-lived caller's start-up), not on the first
    Check, with the target drivers it will meet (grader.target) preloaded."""
    _zygote._ensure(drivers)


def run_checks(lab: Lab, target: dict) -> dict:
    """Run pytest on lab/checks with the plugin; return its raw per-check outcomes."""
    n_checks = sum(len(v) for v in lab.checks.values())
    budget = lab.check_timeout_seconds * max(n_checks, 1) + 60
    with tempfile.TemporaryDirectory(prefix="opslab-grade-") as tmp:
        tmpd = Path(tmp)
        (tmpd / "targets.json").write_text(json.dumps(target))
        (tmpd / "pytest.ini").write_text("[pytest]\n")
        results = tmpd / "results.json"
        args = [
            "-c", str(tmpd / "pytest.ini"), "--rootdir", str(lab.path),
            "-p", "grader.plugin", "-p", "pytest_timeout", "-p", "no:cacheprovider",
            "-p", "no:stepwise", "-p", "no:doctest", "-p", "no:junitxml", "-p", "no:pastebin",
            # native tracebacks: an author's detail without pytest's source-range search (~20 ms
            # per failing check, and most checks fail on a candidate's first Check)
            "--import-mode=importlib", "-q", "--no-header", "-rN", "--tb=native", "-W", "ignore::pytest.PytestAssertRewriteWarning",
            f"--timeout={lab.check_timeout_seconds}", "--timeout-method=signal",
            "--basetemp", str(tmpd / "t"), "--opslab-targets", str(tmpd / "targets.json"),
            "--opslab-results", str(results), "--opslab-lab", str(lab.path), str(lab.path / "checks"),
        ]
        env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1",
               **target.get("env", {})}
        log = tmpd / "pytest.log"
        try:
            code = _zygote.run(args, env, lab.path, log, budget, target.get("driver", ""))
        except TimeoutError:
            raise GradingError(f"grading {lab.id} took longer than {budget} s and was stopped") from None
        output = log.read_text(errors="replace")[-5000:] if log.exists() else ""
        if not results.exists():
            raise GradingError(f"pytest did not run the checks of {lab.id} (exit {code}):\n{output[-3000:]}")
        raw = json.loads(results.read_text())
        raw["output"] = output
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
