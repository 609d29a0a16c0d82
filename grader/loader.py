"""The lab loader: a folder (lab.yaml + files) → a validated `Lab`, or every problem at once.

Every problem becomes a `LabError` naming the file, the key and what was expected, so an
author fixes them in one pass.
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from grader.errors import LabError, LabFormatError
from grader.lab import Cheat, Lab, lab_version
from grader.params import placeholders
from grader.schema import LabSpec

REQUIRED_FILES = ("README.md", "setup.sh", "solution.sh")
# What the loader reads and parses is capped, so one bad lab cannot hang or bloat the
# catalogue: lab.yaml is small by nature; checks and scripts are code a person wrote.
MAX_LAB_YAML = 64 << 10
MAX_TEXT_FILE = 1 << 20


class _NoAliasLoader(yaml.SafeLoader):
    """YAML without anchors and aliases: lab.yaml never needs them, and an alias bomb (a
    few lines that expand to billions of nodes) would hang whatever prints the value."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.YAMLError(f"line {mark.line + 1}: aliases (*name) are not allowed in lab.yaml")
        return super().compose_node(parent, index)


def read_text(path: Path, rel: str, limit: int = MAX_TEXT_FILE) -> str:
    """A lab file as text, or a LabError naming it: too large, not UTF-8, or a link."""
    if path.is_symlink():
        raise LabError(rel, "is a symbolic link; a lab holds plain files (copy the file in)")
    size = path.stat().st_size
    if size > limit:
        raise LabError(rel, f"is {size >> 10} KiB; at most {limit >> 10} KiB is accepted")
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as e:
        raise LabError(rel, f"is not UTF-8 text (byte {e.start}); save it as UTF-8") from None


def _links(path: Path) -> list[LabError]:
    """Symbolic links anywhere in the lab folder: refused, since setup copies files/ into the
    sandbox and the version hash reads every file (a link could pull in any host file)."""
    found = []
    for root, dirs, files in os.walk(path):  # never follows links
        for name in dirs + files:
            p = Path(root) / name
            if p.is_symlink():
                found.append(LabError(p.relative_to(path).as_posix(),
                                      "is a symbolic link; a lab holds plain files (copy the file in)"))
    return found


def _key(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _spec_problems(err: ValidationError, raw: dict) -> list[LabError]:
    problems = []
    for e in err.errors():
        loc = e["loc"]
        if e["type"] == "extra_forbidden":
            parent = _model_at(loc[:-1], raw)
            allowed = ", ".join(f.alias or n for n, f in parent.model_fields.items()) if parent else ""
            msg = f"unknown key; expected one of: {allowed}"
        elif e["type"] == "missing":
            msg = "required key is missing"
        else:
            msg = e["msg"].removeprefix("Value error, ")
            if "input" in e and e["type"] not in ("value_error",) and not isinstance(e["input"], dict):
                got = repr(e["input"])
                msg += f" (got {got[:80] + '…' if len(got) > 80 else got})"
        problems.append(LabError("lab.yaml", msg, _key(loc) or None))
    return problems


def _model_at(loc: tuple, raw: dict) -> type[BaseModel] | None:
    """The pydantic model that a location in lab.yaml is validated by (for listing keys)."""
    model: type[BaseModel] = LabSpec
    skip_key = False  # the part after a dict of models is one of its keys (params.<name>)
    for part in loc:
        if isinstance(part, int) or skip_key:
            skip_key = False
            continue
        field = next((f for name, f in model.model_fields.items() if (f.alias or name) == part), None)
        if field is None:
            return None
        ann = field.annotation
        inner = getattr(ann, "__args__", (ann,))
        nxt = next((a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if nxt is None:
            for a in inner:  # list[Model], dict[str, Model]
                nxt = next((x for x in getattr(a, "__args__", ()) if isinstance(x, type) and issubclass(x, BaseModel)), None) or nxt
        if nxt is None:
            return None
        skip_key = getattr(ann, "__origin__", None) is dict
        model = nxt
    return model


def _marked_tasks(tree: ast.Module) -> dict[str, list[str]]:
    """Map test function name -> task ids from `@pytest.mark.task("id")` decorators."""
    found: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if not node.name.startswith(("test", "Test")):
            continue
        ids = []
        for dec in node.decorator_list:
            if (
                isinstance(dec, ast.Call)
                and isinstance(dec.func, ast.Attribute)
                and dec.func.attr == "task"
                and dec.args
                and isinstance(dec.args[0], ast.Constant)
                and isinstance(dec.args[0].value, str)
            ):
                ids.append(dec.args[0].value)
        found[node.name] = ids
    return found


def _scan_checks(path: Path, spec: LabSpec | None, problems: list[LabError]) -> dict[str, tuple[str, ...]]:
    checks_dir = path / "checks"
    files = sorted(checks_dir.glob("test_*.py")) if checks_dir.is_dir() else []
    if not checks_dir.is_dir():
        problems.append(LabError("checks/", "missing folder; expected checks/test_*.py files"))
        return {}
    if not files:
        problems.append(LabError("checks/", "no check files; expected at least one checks/test_*.py"))
        return {}
    task_ids = {t.id for t in spec.tasks} if spec else set()
    by_task: dict[str, list[str]] = {t: [] for t in task_ids}
    for f in files:
        rel = f"checks/{f.name}"
        try:
            tree = ast.parse(read_text(f, rel), filename=rel)
        except LabError as e:
            problems.append(e)
            continue
        except SyntaxError as e:
            problems.append(LabError(rel, f"line {e.lineno}: syntax error: {e.msg}"))
            continue
        for test, ids in _marked_tasks(tree).items():
            if not ids:
                problems.append(LabError(rel, 'not marked with @pytest.mark.task("<task id>")', test))
            for tid in ids:
                if spec and tid not in task_ids:
                    problems.append(LabError(rel, f"marked with unknown task {tid!r}; tasks in lab.yaml: {', '.join(sorted(task_ids))}", test))
                elif spec:
                    by_task[tid].append(f"{rel}::{test}")
    if spec:
        for tid, tests in by_task.items():
            if not tests:
                problems.append(LabError("lab.yaml", f"task {tid!r} has no checks; mark a test in checks/ with @pytest.mark.task({tid!r})", "tasks"))
    return {t: tuple(v) for t, v in by_task.items()}


_TARGETS = re.compile(r"^#\s*targets:\s*(.+)$", re.MULTILINE)


def _scan_cheats(path: Path, spec: LabSpec | None, problems: list[LabError]) -> tuple[Cheat, ...]:
    cheats = []
    for f in sorted((path / "cheats").glob("*.sh")):
        try:
            m = _TARGETS.search(read_text(f, f"cheats/{f.name}"))
        except LabError as e:
            problems.append(e)
            continue
        targets = tuple(t.strip() for t in m.group(1).replace(",", " ").split()) if m else ()
        if spec:
            known = {t.id for t in spec.tasks}
            for t in targets:
                if t not in known:
                    problems.append(LabError(f"cheats/{f.name}", f"'# targets:' names unknown task {t!r}; tasks: {', '.join(sorted(known))}", "targets"))
            targets = targets or tuple(t.id for t in spec.tasks)
        cheats.append(Cheat(f.stem, f, targets))
    return tuple(cheats)


def _readme_placeholders(path: Path, spec: LabSpec) -> list[LabError]:
    """A README placeholder {{ params.<name> }} must name a parameter of lab.yaml."""
    try:
        used = placeholders(read_text(path / "README.md", "README.md"))
    except LabError as e:
        return [e]
    return [LabError("README.md", f"{{{{ params.{name} }}}} names no parameter of lab.yaml; "
                                  f"declared: {', '.join(spec.params) or '(none: add a params: section)'}")
            for name in used if name not in spec.params]


def load_lab(path: Path | str) -> Lab:
    """Load and validate one lab folder; raise LabFormatError listing every problem found."""
    path = Path(path).resolve()
    problems: list[LabError] = []
    if not path.is_dir():
        raise LabFormatError([LabError(str(path), "not a folder")])
    spec, raw = None, None
    problems += _links(path)
    yaml_file = path / "lab.yaml"
    try:
        raw = yaml.load(read_text(yaml_file, "lab.yaml", MAX_LAB_YAML), Loader=_NoAliasLoader)  # noqa: S506 - safe loader
    except FileNotFoundError:
        problems.append(LabError("lab.yaml", "missing; every lab folder needs a lab.yaml"))
    except LabError as e:
        problems.append(e)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        problems.append(LabError("lab.yaml", f"{where}not valid YAML: {getattr(e, 'problem', None) or e}"))
    if raw is not None and not isinstance(raw, dict):
        problems.append(LabError("lab.yaml", f"expected a mapping of keys at the top, got {type(raw).__name__}"))
    elif isinstance(raw, dict):
        try:
            spec = LabSpec.model_validate(raw)
        except ValidationError as e:
            problems.extend(_spec_problems(e, raw))
        if spec and spec.id != path.name:
            problems.append(LabError("lab.yaml", f"must equal the folder name {path.name!r} (got {spec.id!r})", "id"))
    for name in REQUIRED_FILES:
        if not (path / name).is_file():
            problems.append(LabError(name, "missing; every lab needs README.md, setup.sh, solution.sh and checks/"))
    if spec:
        for i, host in enumerate(spec.sandbox.hosts):
            if host.build and not (path / host.build / "Dockerfile").is_file():
                problems.append(LabError("lab.yaml", f"expected a folder with a Dockerfile at {host.build}", f"sandbox.hosts[{i}].build"))
    if spec and (path / "README.md").is_file():
        problems += _readme_placeholders(path, spec)
    checks = _scan_checks(path, spec, problems)
    cheats = _scan_cheats(path, spec, problems)
    if problems:
        raise LabFormatError(problems[:50])
    return Lab(spec=spec, path=path, version=lab_version(path), checks=checks, cheats=cheats)
