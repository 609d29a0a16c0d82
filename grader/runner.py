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
                                              env={**{k: v for k, v in os.environ.items() if k in ZYGOTE_ENV},
                                                   "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
                if self._proc.stdout.readline().strip() != b"ready":
                    raise GradingError("the grader's fork server did not start; run `python -m grader.zygote` to see why")
            return os.path.join(self._dir, "sock")

    def run(self, request: dict, budget: float, driver: str = "") -> int:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(self._ensure((driver,) if driver else ()))
        conn.sendall(json.dumps(request).encode())
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

    def stop(self) -> None:
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                self._proc.stdin.close()  # it exits when its stdin closes
                self._proc.wait(timeout=10)
            self._proc = None


_zygote = _Zygote()


def stop_zygote() -> None:
    """Stop the fork server; the next grading run starts a new one (from the current settings)."""
    _zygote.stop()


def warm_up(drivers: tuple[str, ...] = ()) -> None:
    """Start the grader's fork server now (a long-lived caller's start-up), not on the first
    Check, with the target drivers it will meet (grader.target) preloaded."""
    _zygote._ensure(drivers)


# The zygote starts with these of the caller's settings only: the platform's own (database
# URL, secret key, Redis) never reach a grading process, whose memory the checks share.
ZYGOTE_ENV = ("PATH", "PYTHONPATH", "LANG", "LC_ALL", "TZ", "TMPDIR", "DOCKER_HOST", "DOCKER_TLS_VERIFY",
              "DOCKER_CERT_PATH", "DOCKER_CONFIG", "DOCKER_CONTEXT")
MAX_RESULTS = 32 << 20


def run_checks(lab: Lab, target: dict) -> dict:
    """Run pytest on lab/checks with the plugin, boxed (grader.box); return its raw per-check outcomes.

    The run's folder holds `box/` (the box's scratch space: the box-side target description,
    pytest's files, the results) and `stage/` (the broker's, where copies are made), plus the
    log the box writes to.
    """
    n_checks = sum(len(v) for v in lab.checks.values())
    budget = lab.check_timeout_seconds * max(n_checks, 1) + 60
    with tempfile.TemporaryDirectory(prefix="opslab-grade-") as tmp:
        tmpd = Path(tmp)
        box, stage = tmpd / "box", tmpd / "stage"
        box.mkdir()
        stage.mkdir(mode=0o700)
        inside = {k: v for k, v in target.items() if k not in ("driver", "hosts")}
        inside.update(driver="grader.box_client", hosts={name: name for name in target["hosts"]})
        (box / "targets.json").write_text(json.dumps(inside))
        (box / "pytest.ini").write_text("[pytest]\n")
        results = box / "results.json"
        args = [
            "-c", str(box / "pytest.ini"), "--rootdir", str(lab.path),
            "-p", "grader.plugin", "-p", "pytest_timeout", "-p", "no:cacheprovider",
            "-p", "no:stepwise", "-p", "no:doctest", "-p", "no:junitxml", "-p", "no:pastebin",
            # native tracebacks: an author's detail without pytest's source-range search (~20 ms
            # per failing check, and most checks fail on a candidate's first Check)
            "--import-mode=importlib", "-q", "--no-header", "-rN", "--tb=native", "-W", "ignore::pytest.PytestAssertRewriteWarning",
            f"--timeout={lab.check_timeout_seconds}", "--timeout-method=signal",
            "--basetemp", str(box / "t"), "--opslab-targets", str(box / "targets.json"),
            "--opslab-results", str(results), "--opslab-lab", str(lab.path), str(lab.path / "checks"),
        ]
        log = tmpd / "pytest.log"
        request = {"args": args, "env": target.get("env", {}), "log": str(log),
                   "box": {"target": target, "lab": str(lab.path), "scratch": str(box), "stage": str(stage)}}
        try:
            code = _zygote.run(request, budget, target.get("driver", ""))
        except TimeoutError:
            raise GradingError(f"grading {lab.id} took longer than {budget} s and was stopped") from None
        output = log.read_text(errors="replace")[-5000:] if log.exists() else ""
        raw = _read_results(results)
        if raw is None:
            raise GradingError(f"pytest did not run the checks of {lab.id} (exit {code}):\n{output[-3000:]}")
        raw["output"] = output
        return raw


def _read_results(path: Path) -> dict | None:
    """The box's results file, read without following a link the box may have put there."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        data = f.read(MAX_RESULTS + 1)
    if len(data) > MAX_RESULTS:
        raise GradingError("the checks wrote more results than the grader reads")
    try:
        raw = json.loads(data)
    except ValueError:
        return None
    if not (isinstance(raw, dict) and isinstance(raw.get("checks"), dict) and all(
            isinstance(c, dict) and isinstance(c.get("tasks"), list) and isinstance(c.get("passed"), bool)
            and isinstance(c.get("feedback"), str) and isinstance(c.get("detail"), str) for c in raw["checks"].values())
            and all(isinstance(raw.get(k, []), list) for k in ("collect_errors", "box_violations"))):
        raise GradingError("the checks' results file is malformed (grader.plugin writes it)")
    return raw


def grade(lab: Lab, target: dict) -> Report:
    """Score every task of `lab` against `target`; a task passes when all its checks pass."""
    started = time.time()
    t0 = time.monotonic()
    try:
        raw = run_checks(lab, target)
        lab_error = "\n".join(map(str, raw.get("collect_errors", []))) or None
        if raw.get("box_violations"):
            reached = "; ".join(map(str, raw["box_violations"][:5]))
            lab_error = ((lab_error + "\n") if lab_error else "") + (
                "the checks reached outside their box, where they see the lab's hosts only through their "
                f"fixtures (labs/README.md, Trust): {reached}")
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
