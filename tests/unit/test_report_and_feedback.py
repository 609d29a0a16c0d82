"""What a candidate sees: scores, statuses and one feedback line — never check code."""

from __future__ import annotations

import pytest

from grader.plugin import feedback_for
from grader.report import Report, TaskResult


def make_report(**kw) -> Report:
    tasks = [TaskResult("a-task", "A", 2, 2, True, ""), TaskResult("b-task", "B", 3, 0, False, "fix B")]
    return Report(lab="x-lab", lab_version="abc", grader_version="1", tasks=tasks, duration_seconds=0.5,
                  started_at=0.0, details={"checks/test_x.py::test_b": "assert secret == 1"}, **kw)


def test_totals_and_round_trip():
    r = make_report()
    assert (r.score, r.max_score, r.full_marks) == (2, 5, False)
    assert Report.from_dict(r.to_dict()) == r


def test_candidate_view_hides_internals():
    view = make_report(lab_error="checks/test_x.py: ImportError: secret_module").candidate_view()
    text = repr(view)
    assert "secret" not in text and "test_x" not in text
    assert view["error"] == "grading is unavailable for this lab right now"
    assert [t["feedback"] for t in view["tasks"]] == ["", "fix B"]


class _Exc:
    def __init__(self, value):
        self.value = value


@pytest.mark.parametrize("exc, shown", [
    (AssertionError("nginx is not listening on port 80\nassert False"), "nginx is not listening on port 80"),
    (AssertionError("assert 'hello' == 'goodbye'"), "this check does not pass yet"),
    (AssertionError(), "this check does not pass yet"),
    (Exception("Timeout >5.0s"), "the check timed out: the system did not answer in time"),
    (KeyError("internal_name"), "the check could not run against the sandbox"),
])
def test_feedback_is_the_authors_first_line_only(exc, shown):
    assert feedback_for(_Exc(exc)) == shown


def test_testinfra_assertions_do_not_leak_commands(tmp_path):
    """testinfra's check_output raises AssertionError naming the command: not an author's line."""
    import pytest as _pytest
    import testinfra

    host = testinfra.get_host("local://")
    with _pytest.raises(AssertionError) as info:
        host.check_output("exit 3; secret-command")
    assert "secret-command" in str(info.value)
    assert feedback_for(info, [tmp_path / "checks"]) == "this check does not pass yet"
