"""pytest plugin that lab checks run under: host fixtures, grader-side tools, outcome capture.

Loaded explicitly by the runner (`-p grader.plugin`), never auto-loaded. The runner passes
`--opslab-targets` (JSON: a target description, see grader.target) and `--opslab-results`
(where per-check outcomes are written as JSON for the runner to turn into a Report).
"""

from __future__ import annotations

import json
import types
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from grader import box
from grader.backend import get_host
from grader.target import load_driver
from grader.tools import CHECK_TOOLS, CheckTool, check_tool
from grader.trust import tampered

_results: dict[str, dict] = {}
_collect_errors: list[str] = []


def pytest_addoption(parser):
    group = parser.getgroup("opslab")
    group.addoption("--opslab-targets", help="JSON file: {hosts: {name: host spec}}")
    group.addoption("--opslab-results", help="write per-check outcomes to this JSON file")
    group.addoption("--opslab-lab", help="the lab folder")


def _host_fixture(name: str):
    @pytest.fixture(scope="session", name=name.replace("-", "_"))
    def fixture(hosts):
        return hosts[name]

    return fixture


def pytest_configure(config):
    config.addinivalue_line("markers", "task(id): the lab task this check scores")
    tools = types.ModuleType("opslab_tool_fixtures")
    for name, tool in CHECK_TOOLS.items():
        setattr(tools, f"_opslab_tool_{name}", _tool_fixture(tool))
    config.pluginmanager.register(tools, "opslab-tool-fixtures")
    path = config.getoption("--opslab-targets")
    if not path:
        return
    names = list(json.loads(Path(path).read_text())["hosts"])
    # One fixture per host name (dashes as underscores), registered as a plugin module.
    mod = types.ModuleType("opslab_host_fixtures")
    for i, name in enumerate(names):
        setattr(mod, f"_opslab_host_{i}", _host_fixture(name))
    config.pluginmanager.register(mod, "opslab-host-fixtures")


@pytest.fixture(scope="session")
def targets(pytestconfig) -> dict:
    path = pytestconfig.getoption("--opslab-targets")
    if not path:
        raise pytest.UsageError("grader.plugin needs --opslab-targets")
    return json.loads(Path(path).read_text())


@pytest.fixture(scope="session")
def params(targets) -> dict:
    """{name: value}: this attempt's lab parameters (lab.yaml `params:`), {} for a lab without."""
    return dict(targets.get("params") or {})


@pytest.fixture(scope="session")
def hosts(targets) -> dict:
    """{host name: testinfra Host}, in lab.yaml order."""
    driver = load_driver(targets)
    return {name: get_host(name, driver.host_target(spec)) for name, spec in targets["hosts"].items()}


@pytest.fixture(scope="session")
def host(hosts):
    """The first host of the lab."""
    return _pick(hosts, None)


@pytest.fixture(autouse=True, scope="session")
def _trusted_shell(hosts):
    """No check runs through a shell, loader, library folder, NSS or PAM the candidate changed
    (grader.trust.tampered): each would fail here."""
    for name, h in hosts.items():
        bad = tampered(h.backend.target)
        assert not bad, (f"the grader cannot trust host {name}: {', '.join(bad[:3])}"
                         f"{f' and {len(bad) - 3} more' if len(bad) > 3 else ''} changed since the host was built "
                         "(the shell, the loader and its libraries, NSS or PAM); put back the originals to be graded")


def _pick(hosts: dict, host: str | None):
    """The host named by a check's `host=` argument, or the lab's first host."""
    return hosts[host] if host else next(iter(hosts.values()))


@pytest.fixture(scope="session")
def modified(hosts):
    """modified(path, host=None) -> bool: was this file changed since the image (per the engine)?"""

    def check(path: str, host: str | None = None) -> bool:
        return _pick(hosts, host).backend.target.is_changed(path)

    return check


@pytest.fixture(scope="session")
def changes(hosts):
    """changes(host=None) -> [path, ...]: everything added, changed or deleted since the image,
    as the engine records it (a candidate cannot hide a file from it)."""

    def listing(host: str | None = None) -> list[str]:
        return _pick(hosts, host).backend.target.changed_paths()

    return listing


@pytest.fixture(scope="session")
def lab_dir(pytestconfig) -> Path:
    return Path(pytestconfig.getoption("--opslab-lab") or Path.cwd())


@pytest.fixture(scope="session")
def copy_out(hosts, tmp_path_factory):
    """copy_out(path, host=None) -> local Path: a copy made by the engine, not sandbox tools."""

    def copy(src: str, host: str | None = None) -> Path:
        return _pick(hosts, host).backend.target.copy_out(src, tmp_path_factory.mktemp("copy"))

    return copy


@pytest.fixture(scope="session")
def snapshot(hosts):
    """snapshot(*paths, host=None) -> {path: (kind, mode, uid, gid, size, mtime, sha256)} for
    the paths and everything below them, read through the engine (no sandbox tool runs);
    compare two snapshots to see what changed in between."""

    def take(*paths: str, host: str | None = None) -> dict[str, tuple]:
        target, facts = _pick(hosts, host).backend.target, {}
        for p in paths:
            facts.update(target.snapshot(p))
        return facts

    return take


def _tool_fixture(tool: CheckTool):
    @pytest.fixture(scope="session", name=tool.name)
    def fixture(tool_boxes):
        return lambda *args, cwd, timeout=tool.timeout: tool_boxes(tool.name).run(
            [*tool.argv, *args], cwd=cwd, timeout=timeout)

    fixture.__doc__ = (f"{tool.name}(*args, cwd=..., timeout=...) -> ToolResult (.rc .stdout .stderr): the "
                       f"grader's own {tool.name}, boxed in a fresh {tool.image} container (grader.tools)")
    return fixture


def _open_box(driver, name: str, work: Path):
    tool = check_tool(name)
    for fname, content in tool.files.items():
        (work / fname).write_text(content)
    env = {k: v.replace("{workdir}", str(work)) for k, v in tool.env.items()}
    return driver.tool_box(tool.image, work, env, tool.scratch, tool.caps)


def pytest_collection_modifyitems(session, config, items):
    """Start the tool boxes the checks will ask for now, in the background, and run the checks
    that use one last: a box's container starts while the other checks run (~0.3 s each)."""
    path = config.getoption("--opslab-targets")
    names = sorted({f for item in items for f in getattr(item, "fixturenames", ()) if f in CHECK_TOOLS})
    if not path or not names:
        return
    driver = load_driver(json.loads(Path(path).read_text()))
    work = config._tmp_path_factory.getbasetemp()
    pool = ThreadPoolExecutor(max_workers=len(names), thread_name_prefix="opslab-toolbox")
    _early_boxes.update({n: pool.submit(_open_box, driver, n, work) for n in names})
    pool.shutdown(wait=False)
    items.sort(key=lambda item: any(f in CHECK_TOOLS for f in getattr(item, "fixturenames", ())))


_early_boxes: dict[str, Future] = {}


@pytest.fixture(scope="session")
def tool_boxes(targets, tmp_path_factory):
    """tool_boxes(name) -> ToolBox: one box per check tool and grading run, started when the
    checks were collected if they name the tool, else on first use (most labs never need one),
    and removed when the run ends."""
    driver, work, boxes = load_driver(targets), tmp_path_factory.getbasetemp(), {}

    def box(name: str):
        if name not in boxes:
            early = _early_boxes.pop(name, None)
            boxes[name] = early.result() if early else _open_box(driver, name, work)
        return boxes[name]

    yield box
    for name in list(_early_boxes):  # started for a check that did not get to use it
        early = _early_boxes.pop(name)
        if early.exception() is None:  # (one that failed to start has nothing to remove)
            boxes.setdefault(name, early.result())
    for b in boxes.values():
        b.close()


# -- outcomes -------------------------------------------------------------------------------

GRADER_DIR = Path(__file__).resolve().parent


def _raised_in(excinfo, folders: list[Path]) -> bool:
    tb = getattr(excinfo, "traceback", None)
    if not tb:
        return True  # no frames to tell from (built by hand): trust the type alone
    path = Path(str(tb[-1].path)).resolve()
    return any(path.is_relative_to(f) for f in folders)


def feedback_for(excinfo, authors: list[Path] | None = None) -> str:
    """The one line a candidate may see for a failed check: never code or a traceback.

    Only assertions written by the lab's author (or the grader) speak: testinfra's own
    `check_output` also raises AssertionError, with the command in its message.
    """
    exc = excinfo.value
    if isinstance(exc, AssertionError) and not _raised_in(excinfo, (authors or []) + [GRADER_DIR]):
        return "this check does not pass yet"
    if isinstance(exc, AssertionError):
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        # A bare `assert x == y` renders as code; only the author's own message is shown.
        return first if first and not first.startswith("assert ") else "this check does not pass yet"
    text = str(exc)
    if text.startswith("Timeout"):
        return "the check timed out: the system did not answer in time"
    return "the check could not run against the sandbox"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    entry = _results.setdefault(item.nodeid, {
        "tasks": [m.args[0] for m in item.iter_markers("task") if m.args],
        "passed": True, "feedback": "", "detail": ""})
    if rep.skipped and entry["passed"]:
        entry.update(passed=False, feedback="this check was skipped",
                     detail=str(rep.longrepr)[-500:])
    elif rep.failed and entry["passed"]:
        lab = item.config.getoption("--opslab-lab")
        authors = [Path(lab).resolve() / "checks"] if lab else []
        entry.update(passed=False, feedback=feedback_for(call.excinfo, authors) if call.excinfo else "failed",
                     detail=str(rep.longrepr)[-3000:])


def pytest_collectreport(report):
    if report.failed:
        _collect_errors.append(f"{report.nodeid}: {str(report.longrepr)[-3000:]}")


def pytest_sessionfinish(session, exitstatus):
    path = session.config.getoption("--opslab-results")
    if path:
        Path(path).write_text(json.dumps({"checks": _results, "collect_errors": _collect_errors,
                                          "box_violations": list(box.VIOLATIONS), "exitstatus": int(exitstatus)}))


