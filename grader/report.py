"""The Report a grading run returns: per task {id, points, earned, passed, feedback} + totals.

Reports are JSON-serialisable and carry the lab version (content hash) and grader version,
so a stored report always says exactly what was graded and by what.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version


def grader_version() -> str:
    try:
        return version("opslab")
    except PackageNotFoundError:
        return "0+unknown"


@dataclass
class TaskResult:
    id: str
    title: str
    points: int
    earned: int
    passed: bool
    feedback: str  # first line of the author's message for the first failing check; "" if passed


@dataclass
class Report:
    lab: str
    lab_version: str
    grader_version: str
    tasks: list[TaskResult]
    duration_seconds: float
    started_at: float
    skills: list[str] = field(default_factory=list)
    # Set when the lab itself is broken (a check that does not import, a grader crash).
    # Never the candidate's fault, and never shown to the candidate in detail.
    lab_error: str | None = None
    # Per failing check (file::test): the tail of pytest's report, for lab authors only.
    details: dict[str, str] = field(default_factory=dict)
    # The attempt's lab parameters the checks judged against (grader.params), {} for none.
    params: dict = field(default_factory=dict)

    @property
    def score(self) -> int:
        return sum(t.earned for t in self.tasks)

    @property
    def max_score(self) -> int:
        return sum(t.points for t in self.tasks)

    @property
    def full_marks(self) -> bool:
        return self.lab_error is None and all(t.passed for t in self.tasks)

    def task(self, task_id: str) -> TaskResult:
        return next(t for t in self.tasks if t.id == task_id)

    def to_dict(self) -> dict:
        d = asdict(self)
        d.update(score=self.score, max_score=self.max_score)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Report:
        d = {k: v for k, v in d.items() if k not in ("score", "max_score")}
        d["tasks"] = [TaskResult(**t) for t in d["tasks"]]
        return cls(**d)

    def candidate_view(self) -> dict:
        """What a candidate may see: statuses and feedback lines, no lab internals."""
        return {
            "lab": self.lab, "score": self.score, "max_score": self.max_score,
            "tasks": [{"id": t.id, "title": t.title, "points": t.points, "earned": t.earned,
                       "passed": t.passed, "feedback": t.feedback} for t in self.tasks],
            "error": "grading is unavailable for this lab right now" if self.lab_error else None,
        }
