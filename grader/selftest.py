"""`opslab lab validate`: prove a lab with its own reference solution and cheats.

In a fresh sandbox the checks must score 0 after setup.sh and full marks after
solution.sh; each cheats/*.sh, in a fresh sandbox of its own, must miss full marks on the
tasks it targets. A lab with parameters is proven on several draws of them, and one draw's
solution must miss on another's sandbox. Sandboxes come from a factory the caller passes
in, so the grader never imports infra.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from typing import Protocol

from grader.lab import Lab
from grader.params import distinct_draws
from grader.report import Report
from grader.runner import grade


class LabSandbox(Protocol):
    def target(self) -> dict: ...


# A fresh sandbox, setup done: open_sandbox(lab), or open_sandbox(lab, params) for a lab with params.
OpenSandbox = Callable[..., AbstractContextManager[LabSandbox]]
# Run a lab script on every host: run_script(sandbox, lab, path[, params=another draw's values]).
RunScript = Callable[..., object]
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
    params: dict = field(default_factory=dict)  # the lab parameters of this step's sandbox


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


DRAWS = 3  # parameter draws a lab with `params:` is proven on


def _open(open_sandbox: OpenSandbox, lab: Lab, values: dict | None):
    return open_sandbox(lab) if values is None else open_sandbox(lab, values)


def _label(values: dict | None) -> str:
    return " ".join(f"{k}={v}" for k, v in (values or {}).items())


def _prove_draw(lab: Lab, open_sandbox: OpenSandbox, run_script: RunScript, before_grade: BeforeGrade,
                progress: Callable[[str], None], values: dict | None, suffix: str) -> list[Step]:
    """setup → 0 and solution → full marks in one fresh sandbox, with these parameters."""
    steps: list[Step] = []
    all_tasks = [t.id for t in lab.spec.tasks]
    params = dict(values or {})
    where = f"{lab.id}{suffix}" + (f" ({_label(values)})" if values else "")
    t0 = time.monotonic()
    try:
        with _open(open_sandbox, lab, values) as sandbox:
            before_grade(sandbox, lab)
            report = grade(lab, sandbox.target())
            zero = report.score == 0 and report.lab_error is None
            steps.append(Step(f"setup{suffix}", "scores 0", zero, report.score, report.max_score,
                              time.monotonic() - t0, "" if zero else _explain(report, all_tasks, False),
                              _tasks(report), params))
            progress(f"{where}: after setup {report.score}/{report.max_score}")
            t0 = time.monotonic()
            run_script(sandbox, lab, lab.path / "solution.sh")
            before_grade(sandbox, lab)
            report = grade(lab, sandbox.target())
            full = report.full_marks
            steps.append(Step(f"solution{suffix}", "full marks", full, report.score, report.max_score,
                              time.monotonic() - t0, "" if full else _explain(report, all_tasks, True),
                              _tasks(report), params))
            progress(f"{where}: after solution {report.score}/{report.max_score}")
    except Exception as e:  # noqa: BLE001 - whatever breaks in setup/solution fails this lab, named
        steps.append(Step(f"solution{suffix}" if steps else f"setup{suffix}", "runs", False, 0, lab.max_score,
                          time.monotonic() - t0, str(e), params=params))
    return steps


def _other_draw(lab: Lab, open_sandbox: OpenSandbox, run_script: RunScript, before_grade: BeforeGrade,
                mine: dict, theirs: dict) -> Step:
    """The solution run with another draw's parameters must miss full marks: the parameters
    really change the answer (a solution that fails to run misses too)."""
    t0 = time.monotonic()
    name, expect = "other-draw", f"the solution for {_label(theirs)} misses"
    with _open(open_sandbox, lab, mine) as sandbox:
        try:
            run_script(sandbox, lab, lab.path / "solution.sh", params=theirs)
        except Exception as e:  # noqa: BLE001 - another draw's answer that cannot even run: caught
            return Step(name, expect, True, 0, lab.max_score, time.monotonic() - t0,
                        f"(it stops: {str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__})",
                        params=mine)
        before_grade(sandbox, lab)
        report = grade(lab, sandbox.target())
    caught = report.lab_error is None and not report.full_marks
    problem = "" if caught else (f"lab error: {report.lab_error}" if report.lab_error else
                                 "the solution for another draw passes this one: the parameters do not change the answer")
    return Step(name, expect, caught, report.score, report.max_score, time.monotonic() - t0, problem,
                _tasks(report), mine)


# Runs independent units of work and returns their results in order: sequential by default;
# `opslab lab validate -j N` passes one backed by a pool shared by every lab, so a lab with
# many cheats does not prove them one after another while the other labs are done.
MapUnits = Callable[[list[Callable[[], list[Step]]]], list[list[Step]]]


def run_in_order(units: list[Callable[[], list[Step]]]) -> list[list[Step]]:
    return [unit() for unit in units]


def validate(lab: Lab, open_sandbox: OpenSandbox, run_script: RunScript,
             progress: Callable[[str], None] = lambda s: None,
             before_grade: BeforeGrade = lambda sandbox, lab: None,
             draws: int = DRAWS, seeds: list[str] | None = None,
             map_units: MapUnits = run_in_order) -> Validation:
    """Run setup → 0, solution → full marks, and every cheat → not full, for one lab. Each
    grade is preceded by `before_grade` (the engine passes the final grade's quiesce, so a
    lab is proven the way a hiring team's report is graded).

    A lab with `params:` is proven on `draws` different draws (from `seeds`, random by
    default): setup → 0 and solution → full marks on each, the first draw's solution misses
    on the second's sandbox, and the cheats take the draws in turn.

    Every draw, the other-draw run and every cheat use a fresh sandbox of their own, so they
    are independent units: `map_units` decides whether they run one by one or at once.
    """
    result = Validation(lab.id, lab.version)
    t_lab = time.monotonic()
    plan: list[dict | None] = [None]
    if lab.spec.params:
        seeds = seeds or [secrets.token_hex(6) for _ in range(20 * draws)]
        plan = [values for _, values in distinct_draws(lab.spec.params, seeds, draws)]
    units: list[Callable[[], list[Step]]] = []
    for i, values in enumerate(plan):
        suffix = f" #{i + 1}" if len(plan) > 1 else ""
        units.append(lambda values=values, suffix=suffix: _prove_draw(
            lab, open_sandbox, run_script, before_grade, progress, values, suffix))
    if len(plan) > 1:
        units.append(lambda: [_other_draw_step(lab, open_sandbox, run_script, before_grade, progress,
                                               plan[1], plan[0])])
    for n, cheat in enumerate(lab.cheats):
        units.append(lambda cheat=cheat, values=plan[n % len(plan)]: [
            _cheat_step(lab, open_sandbox, run_script, before_grade, progress, cheat, values)])
    for steps in map_units(units):
        result.steps += steps
    result.seconds = time.monotonic() - t_lab
    return result


def _other_draw_step(lab: Lab, open_sandbox: OpenSandbox, run_script: RunScript, before_grade: BeforeGrade,
                     progress: Callable[[str], None], mine: dict, theirs: dict) -> Step:
    try:
        step = _other_draw(lab, open_sandbox, run_script, before_grade, mine, theirs)
    except Exception as e:  # noqa: BLE001 - a sandbox that fails to start is reported, not fatal
        step = Step("other-draw", "runs", False, 0, lab.max_score, 0.0, str(e), params=mine)
    progress(f"{lab.id}: another draw's solution {'misses' if step.ok else 'PASSES'}")
    return step


def _cheat_step(lab: Lab, open_sandbox: OpenSandbox, run_script: RunScript, before_grade: BeforeGrade,
                progress: Callable[[str], None], cheat, values: dict | None) -> Step:
    """A cheat in a fresh sandbox must miss full marks on the tasks it targets."""
    t0 = time.monotonic()
    name = f"cheat:{cheat.name}"
    try:
        with _open(open_sandbox, lab, values) as sandbox:
            run_script(sandbox, lab, cheat.path)
            before_grade(sandbox, lab)
            report = grade(lab, sandbox.target())
    except Exception as e:  # noqa: BLE001 - a cheat that breaks is reported, not fatal
        return Step(name, "runs", False, 0, lab.max_score, time.monotonic() - t0, str(e), params=dict(values or {}))
    targeted = [t for t in report.tasks if t.id in cheat.targets]
    caught = report.lab_error is None and not all(t.passed for t in targeted)
    problem = "" if caught else (
        f"lab error: {report.lab_error}" if report.lab_error else
        f"the cheat passes every task it targets ({', '.join(cheat.targets)}): the checks can be fooled")
    progress(f"{lab.id}: cheat {cheat.name} {'caught' if caught else 'NOT caught'}")
    return Step(name, f"misses {', '.join(cheat.targets)}", caught, report.score, report.max_score,
                time.monotonic() - t0, problem, _tasks(report), dict(values or {}))
