"""`opslab lab validate`: prove a lab with its own reference solution and cheats.

In a fresh sandbox the checks must score 0 after setup.sh and full marks after
solution.sh; each cheats/*.sh, in a fresh sandbox of its own, must miss full marks on the
tasks it targets. Sandboxes come from a factory the caller passes in, so the grader never
imports infra.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

from grader.lab import Lab
from grader.report import Report
from grader.runner import grade


class LabSandbox(Protocol):
    def target(self) -> dict: ...


OpenSandbox = Callable[[Lab], AbstractContextManager[LabSandbox]]  # fresh sandbox, setup done
RunScript = Callable[[LabSandbox, Lab, Path], object]               # run a lab script on every host
BeforeGrade = Callable[[LabSandbox, Lab], object]                   # e.g. the final grade's quiesce


@dataclass
class Step:
    name: str          # "setup", "solution", "cheat:<name>"
    expect: str        # what must hold, in words
    ok: bool
    score: int
    max_score: int
    seconds: float
    problem: str = ""  # why not ok, for the author
    tasks: list[dict] = field(default_factory=list)  # what a candidate would see per task


@dataclass
class Validation:
    lab: str
    version: str
    steps: list[Step] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.ok for s in self.steps)

    def to_dict(self) -> dict:
        return {"lab": self.lab, "version": self.version, "ok": self.ok,
                "seconds": round(self.seconds, 2), "steps": [asdict(s) for s in self.steps]}


def _tasks(report: Report) -> list[dict]:
    """What a candidate would see per task (the one candidate view of a Report)."""
    return report.candidate_view()["tasks"]


def _explain(report: Report, tasks: list[str], want_pass: bool) -> str:
    if report.lab_error:
        return f"lab error: {report.lab_error.strip()[:2000]}"
    wrong = [t for t in report.tasks if t.id in tasks and t.passed != want_pass]
    if want_pass:
        lines = [f"{t.id}: {t.feedback}" for t in wrong]
        for key, detail in report.details.items():
            lines.append(f"  {key}: {detail.strip().splitlines()[-1] if detail.strip() else ''}")
        return "tasks failing after the solution: " + "; ".join(lines)
    return "tasks already passing: " + ", ".join(t.id for t in wrong)


def validate(lab: Lab, open_sandbox: OpenSandbox, run_script: RunScript,
             progress: Callable[[str], None] = lambda s: None,
             before_grade: BeforeGrade = lambda sandbox, lab: None) -> Validation:
    """Run setup → 0, solution → full marks, and every cheat → not full, for one lab. Each
    grade is preceded by `before_grade` (the engine passes the final grade's quiesce, so a
    lab is proven the way a hiring team's report is graded)."""
    result = Validation(lab.id, lab.version)
    t_lab = time.monotonic()
    all_tasks = [t.id for t in lab.spec.tasks]
    try:
        t0 = time.monotonic()
        with open_sandbox(lab) as sandbox:
            before_grade(sandbox, lab)
            report = grade(lab, sandbox.target())
            zero = report.score == 0 and report.lab_error is None
            result.steps.append(Step("setup", "scores 0", zero, report.score, report.max_score,
                                     time.monotonic() - t0, "" if zero else _explain(report, all_tasks, False),
                                     _tasks(report)))
            progress(f"{lab.id}: after setup {report.score}/{report.max_score}")
            t0 = time.monotonic()
            run_script(sandbox, lab, lab.path / "solution.sh")
            before_grade(sandbox, lab)
            report = grade(lab, sandbox.target())
            full = report.full_marks
            result.steps.append(Step("solution", "full marks", full, report.score, report.max_score,
                                     time.monotonic() - t0, "" if full else _explain(report, all_tasks, True),
                                     _tasks(report)))
            progress(f"{lab.id}: after solution {report.score}/{report.max_score}")
    except Exception as e:  # noqa: BLE001 - whatever breaks in setup/solution fails this lab, named
        result.steps.append(Step("solution" if result.steps else "setup", "runs", False, 0, lab.max_score,
                                 time.monotonic() - t0, str(e)))
    for cheat in lab.cheats:
        t0 = time.monotonic()
        name = f"cheat:{cheat.name}"
        try:
            with open_sandbox(lab) as sandbox:
                run_script(sandbox, lab, cheat.path)
                before_grade(sandbox, lab)
                report = grade(lab, sandbox.target())
        except Exception as e:  # noqa: BLE001 - a cheat that breaks is reported, not fatal
            result.steps.append(Step(name, "runs", False, 0, lab.max_score, time.monotonic() - t0, str(e)))
            continue
        targeted = [t for t in report.tasks if t.id in cheat.targets]
        caught = report.lab_error is None and not all(t.passed for t in targeted)
        problem = "" if caught else (
            f"lab error: {report.lab_error}" if report.lab_error else
            f"the cheat passes every task it targets ({', '.join(cheat.targets)}): the checks can be fooled")
        result.steps.append(Step(name, f"misses {', '.join(cheat.targets)}", caught, report.score,
                                 report.max_score, time.monotonic() - t0, problem, _tasks(report)))
        progress(f"{lab.id}: cheat {cheat.name} {'caught' if caught else 'NOT caught'}")
    result.seconds = time.monotonic() - t_lab
    return result
