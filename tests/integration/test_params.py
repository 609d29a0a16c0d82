"""Lab parameters on the real engine: each session draws its own values, keeps them with its
sandbox, hands them to scripts and checks; one draw's answer does not pass another's checks;
`lab validate` proves several draws."""

from __future__ import annotations

import pytest
import yaml

from grader.loader import load_lab
from grader.params import draw
from grader.selftest import validate
from opslab import engine
from opslab.engine import lab_sandbox, run_script, start_lab

WORDS = ["hello", "howdy", "hiya", "ahoy", "salut", "hej"]


@pytest.fixture
def param_lab_dir(greeting_lab_dir):
    """The greeting lab, where the word to write is drawn per attempt."""
    data = yaml.safe_load((greeting_lab_dir / "lab.yaml").read_text())
    data["params"] = {"word": {"choice": WORDS}}
    (greeting_lab_dir / "lab.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    (greeting_lab_dir / "README.md").write_text("# Greeting\n\nWrite `{{ params.word }}` into `/srv/greeting.txt`.\n")
    (greeting_lab_dir / "solution.sh").write_text(
        '#!/usr/bin/env bash\nset -euo pipefail\necho "$OPSLAB_PARAM_WORD" > /srv/greeting.txt\n'
        "chmod 600 /srv/greeting.txt\n")
    (greeting_lab_dir / "cheats" / "world-readable.sh").write_text(
        '#!/usr/bin/env bash\n# targets: greeting-private\nset -euo pipefail\n'
        'echo "$OPSLAB_PARAM_WORD" > /srv/greeting.txt\nchmod 777 /srv/greeting.txt\n')
    (greeting_lab_dir / "checks" / "test_greeting.py").write_text('''import pytest


@pytest.mark.task("greeting-present")
def test_greeting_says_the_word(host, params):
    f = host.file("/srv/greeting.txt")
    assert f.exists, "/srv/greeting.txt does not exist"
    assert f.content_string.strip() == params["word"], f"/srv/greeting.txt does not say {params['word']} yet"


@pytest.mark.task("greeting-private")
def test_greeting_is_private(box):
    assert box.file("/srv/greeting.txt").mode == 0o600, "/srv/greeting.txt can be read by other users"
''')
    return greeting_lab_dir


def two_sessions_apart(lab) -> tuple[str, str]:
    """Two fresh session ids whose draws differ (a draw of six words may repeat)."""
    first = engine.new_session_id()
    while True:
        second = engine.new_session_id()
        if draw(lab.spec.params, second) != draw(lab.spec.params, first):
            return first, second


def test_each_session_draws_its_own_values_and_one_answer_does_not_fit_another(param_lab_dir, provider, sandboxes):
    lab = load_lab(param_lab_dir)
    ids = two_sessions_apart(lab)
    a, b = (start_lab(lab, session=s) for s in ids)
    sandboxes += [a, b]
    # Drawn from the session id, kept with the sandbox (found again by label), in the target.
    for sb in (a, b):
        assert sb.params == engine.session_params(lab, sb.session) and sb.params["word"] in WORDS
        again = engine.get_sandbox(sb.session)
        assert again.params == sb.params and again.target()["params"] == sb.params
    assert a.params != b.params
    # Setup scores 0 on both; each session's own solution gets full marks there ...
    assert engine.grade_session(a.session, lab).score == 0
    run_script(a, lab, lab.path / "solution.sh")
    report = engine.grade_session(a.session, lab)
    assert report.full_marks and report.params == a.params
    # ... and a's answer, copied to b, does not pass b's checks.
    run_script(b, lab, lab.path / "solution.sh", params=a.params)
    shared = engine.grade_session(b.session, lab)
    assert not shared.task("greeting-present").passed and shared.task("greeting-private").passed
    assert shared.task("greeting-present").feedback == f"/srv/greeting.txt does not say {b.params['word']} yet"
    run_script(b, lab, lab.path / "solution.sh")
    assert engine.grade_session(b.session, lab).full_marks


def test_values_can_be_set_at_start_and_wrong_ones_are_refused(param_lab_dir, provider, sandboxes):
    lab = load_lab(param_lab_dir)
    sb = start_lab(lab, params={"word": "ahoy"})
    sandboxes.append(sb)
    assert sb.params == {"word": "ahoy"}
    with pytest.raises(engine.ParamError, match="parameter 'word': 'bonjour' is not a value it can take"):
        start_lab(lab, params={"word": "bonjour"})


def test_validate_proves_several_draws(param_lab_dir, provider):
    lab = load_lab(param_lab_dir)
    result = validate(lab, lab_sandbox, run_script)
    steps = {s.name: s for s in result.steps}
    assert result.ok, [(s.name, s.problem) for s in result.steps if not s.ok]
    assert [n for n in steps if n.startswith(("setup", "solution"))] == [
        "setup #1", "solution #1", "setup #2", "solution #2", "setup #3", "solution #3"]
    draws = [steps[f"setup #{i}"].params for i in (1, 2, 3)]
    assert len({d["word"] for d in draws}) == 3 and all(d["word"] in WORDS for d in draws)
    assert steps["solution #2"].params == draws[1] and steps["other-draw"].params == draws[1]
    assert steps["other-draw"].ok and steps["other-draw"].expect == f"the solution for word={draws[0]['word']} misses"
    assert steps["cheat:world-readable"].ok and steps["cheat:world-readable"].params == draws[0]


def test_validate_fails_parameters_that_do_not_change_the_answer(param_lab_dir, provider):
    (param_lab_dir / "checks" / "test_greeting.py").write_text(
        (param_lab_dir / "checks" / "test_greeting.py").read_text().replace('params["word"]', '"hello"')
        .replace("params['word']", "'hello'"))
    (param_lab_dir / "solution.sh").write_text("#!/bin/bash\necho hello > /srv/greeting.txt\nchmod 600 /srv/greeting.txt\n")
    lab = load_lab(param_lab_dir)
    result = validate(lab, lab_sandbox, run_script, draws=2)
    other = next(s for s in result.steps if s.name == "other-draw")
    assert not other.ok and "the parameters do not change the answer" in other.problem
    assert not result.ok
