"""Lab parameters: the schema's errors name the field, draws stay in range and come back from
their seed, scripts and READMEs get the values."""

from __future__ import annotations

import pytest
import yaml

from grader.loader import load_lab
from grader.params import ParamError, complete, distinct_draws, draw, env, fill, placeholders
from grader.schema import LabSpec
from tests.unit.test_lab_loader import edit_yaml, problems

PARAMS = {
    "user": {"choice": ["orders", "ordersvc", "svc-orders"]},
    "port": {"int": {"min": 8000, "max": 8099}},
    "word": {"word": {"length": 6}},
    "token": {"hex": {"length": 8}},
}


def spec_with(params: dict) -> LabSpec:
    raw = yaml.safe_load(open("tests/fixtures/labs/greeting-file/lab.yaml"))
    return LabSpec.model_validate({**raw, "params": params})


def with_params(lab_dir, params):
    edit_yaml(lab_dir, lambda d: d.__setitem__("params", params))


def test_a_lab_declares_parameters(greeting_lab_dir):
    with_params(greeting_lab_dir, PARAMS)
    lab = load_lab(greeting_lab_dir)
    assert {n: (p.kind, p.size()) for n, p in lab.spec.params.items()} == {
        "user": ("choice", 3), "port": ("int", 100), "word": ("word", 26 ** 6), "token": ("hex", 16 ** 8)}


@pytest.mark.parametrize(("params", "expected"), [
    ({"Port": {"int": {"min": 1, "max": 9}}},
     "lab.yaml: params: parameter name 'Port': expected 1-32 lowercase letters, digits and _, starting with a letter"),
    ({"port": {"int": {"min": 9, "max": 2}}}, "lab.yaml: params.port.int: expected min below max, got min 9 and max 2"),
    ({"user": {"choice": ["a b", "c"]}}, "lab.yaml: params.user.choice: expected choices of 1-64 letters, digits"),
    ({"user": {"choice": ["$(id)", "c"]}}, "lab.yaml: params.user.choice: expected choices of 1-64 letters"),
    ({"user": {"choice": ["a", "a"]}}, "lab.yaml: params.user.choice: choices must be unique, repeated: a"),
    ({"user": {"choice": ["a"]}}, "lab.yaml: params.user.choice: List should have at least 2 items"),
    ({"user": {"choice": ["a", "b"], "hex": {"length": 8}}},
     "lab.yaml: params.user: expected exactly one of choice: [..], int: {min, max}, word: {length} or hex: {length}"),
    ({"user": {}}, "lab.yaml: params.user: expected exactly one of choice"),
    ({"user": {"chioce": ["a", "b"]}}, "lab.yaml: params.user.chioce: unknown key; expected one of: choice, int, word, hex"),
    ({"port": {"int": {"min": 1, "max": 5, "step": 2}}}, "lab.yaml: params.port.int.step: unknown key; expected one of: min, max"),
    ({"token": {"hex": {"length": 2}}}, "lab.yaml: params.token.hex.length: Input should be greater than or equal to 4"),
])
def test_a_malformed_parameter_is_named(greeting_lab_dir, params, expected):
    with_params(greeting_lab_dir, params)
    found = problems(greeting_lab_dir)
    assert any(p.startswith(expected) for p in found), found


def test_a_readme_placeholder_must_name_a_parameter(greeting_lab_dir):
    with_params(greeting_lab_dir, {"user": {"choice": ["a", "b"]}})
    (greeting_lab_dir / "README.md").write_text("Log in as {{ params.user }} on port {{params.port}}.\n")
    assert problems(greeting_lab_dir) == [
        "README.md: {{ params.port }} names no parameter of lab.yaml; declared: user"]


def test_draws_stay_in_range_and_vary():
    specs = spec_with(PARAMS).params
    seen = {n: set() for n in specs}
    for i in range(300):
        values = draw(specs, f"seed-{i}")
        assert list(values) == list(specs)
        assert values["user"] in ("orders", "ordersvc", "svc-orders")
        assert 8000 <= values["port"] <= 8099 and isinstance(values["port"], int)
        assert len(values["word"]) == 6 and values["word"].isalpha() and values["word"].islower()
        assert len(values["token"]) == 8 and set(values["token"]) <= set("0123456789abcdef")
        for n, v in values.items():
            seen[n].add(v)
    assert len(seen["user"]) == 3 and len(seen["port"]) > 80 and len(seen["token"]) == 300
    assert {8000, 8099} <= seen["port"] or len(seen["port"]) > 90  # the whole range is reachable


def test_a_draw_comes_back_from_its_seed():
    specs = spec_with(PARAMS).params
    assert draw(specs, "0a1b2c3d4e5f") == draw(specs, "0a1b2c3d4e5f")
    assert draw(specs, "0a1b2c3d4e5f") != draw(specs, "0a1b2c3d4e60")
    # Stable across processes and Python versions (sha256, not `random`): a fixed expectation.
    assert draw(spec_with({"port": {"int": {"min": 1, "max": 1000}}}).params, "seed") == {"port": 155}
    # Adding a parameter does not change the others' values.
    assert draw(spec_with({"user": PARAMS["user"]}).params, "s1")["user"] == draw(specs, "s1")["user"]


def test_given_values_are_checked_and_the_rest_drawn():
    specs = spec_with(PARAMS).params
    values = complete(specs, {"port": "8042", "user": "ordersvc"}, seed="s")
    assert values["port"] == 8042 and values["user"] == "ordersvc" and values["token"] == draw(specs, "s")["token"]
    with pytest.raises(ParamError, match="unknown parameter 'nope'; this lab's parameters: user, port, word, token"):
        complete(specs, {"nope": "1"}, seed="s")
    with pytest.raises(ParamError, match="parameter 'port': 9000 is not a value it can take .a number from 8000 to 8099."):
        complete(specs, {"port": "9000"}, seed="s")
    with pytest.raises(ParamError, match="parameter 'user': 'root' is not a value"):
        complete(specs, {"user": "root"}, seed="s")
    assert complete({}, {}, seed="s") == {}


def test_distinct_draws_differ():
    specs = spec_with({"user": {"choice": ["a", "b"]}}).params
    found = distinct_draws(specs, [f"s{i}" for i in range(50)], 3)
    assert sorted(v["user"] for _, v in found) == ["a", "b"]  # only two values exist
    for seed, values in found:
        assert draw(specs, seed) == values


def test_scripts_get_environment_variables_and_readmes_the_values():
    assert env({"user": "ordersvc", "port": 8042}) == {"OPSLAB_PARAM_USER": "ordersvc", "OPSLAB_PARAM_PORT": "8042"}
    text = "Run it as `{{ params.user }}` on {{params.port}}; {{ params.other }} stays."
    assert placeholders(text) == ["user", "port", "other"]
    assert fill(text, {"user": "ordersvc", "port": 8042}) == "Run it as `ordersvc` on 8042; {{ params.other }} stays."


def test_the_readme_page_renders_values_escaped(tmp_path):
    from webapp.rendering import readme_html

    readme = tmp_path / "README.md"
    readme.write_text("# Lab\n\nThe account is **{{ params.user }}**, port `{{ params.port }}`.\n")
    html = str(readme_html(readme, "v1", (("user", "svc-orders"), ("port", 8042))))
    assert "<strong>svc-orders</strong>" in html and "<code>8042</code>" in html
    html = str(readme_html(readme, "v1", (("user", "<script>x</script>"), ("port", 1))))
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_the_cli_shows_parameters_and_refuses_a_malformed_one(greeting_lab_dir, monkeypatch):
    from click.testing import CliRunner

    from opslab.cli import main

    with_params(greeting_lab_dir, {"word": {"choice": ["hello", "ahoy"]}, "port": {"int": {"min": 8000, "max": 8009}}})
    monkeypatch.setenv("OPSLAB_LABS", str(greeting_lab_dir.parent))
    out = CliRunner().invoke(main, ["lab", "show", "greeting-file"]).output
    assert "param word: one of hello, ahoy  (scripts: OPSLAB_PARAM_WORD)" in out
    assert "param port: a number from 8000 to 8009  (scripts: OPSLAB_PARAM_PORT)" in out
    result = CliRunner().invoke(main, ["lab", "start", "greeting-file", "--param", "word"])
    assert result.exit_code == 1 and "error: --param 'word': expected NAME=VALUE" in result.output
