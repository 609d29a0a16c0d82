"""The lab model (format v1) and its loader: lab.yaml + folder layout → a validated `Lab`.

Every problem becomes a `LabError` naming the file, the key and what was expected; the
loader reports all problems it can find at once so an author fixes them in one pass.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from grader.errors import LabError, LabFormatError, LabNotFound
from grader.skills import SKILLS

FORMAT_VERSION = 1
REQUIRED_FILES = ("README.md", "setup.sh", "solution.sh")
SLUG = r"^[a-z][a-z0-9-]*[a-z0-9]$"
_DURATION = re.compile(r"^(\d+)(s|m|h)$")
_SIZE = re.compile(r"^(\d+)([kmg])$", re.IGNORECASE)
# Files that never change what a lab is: caches and editor droppings.
_IGNORED_PARTS = {"__pycache__", ".pytest_cache", ".DS_Store"}


def parse_duration(value: str | int) -> int:
    """Turn '20m', '90s', '1h' (or plain seconds) into seconds."""
    if isinstance(value, int) and value > 0:
        return value
    m = _DURATION.match(str(value))
    if not m:
        raise ValueError(f"expected a duration such as 90s, 20m or 1h, got {value!r}")
    return int(m.group(1)) * {"s": 1, "m": 60, "h": 3600}[m.group(2)]


def parse_size(value: str | int) -> int:
    """Turn '512m', '1g' (or plain bytes) into bytes."""
    if isinstance(value, int) and value > 0:
        return value
    m = _SIZE.match(str(value))
    if not m:
        raise ValueError(f"expected a size such as 256m or 1g, got {value!r}")
    return int(m.group(1)) * {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[m.group(2).lower()]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Resources(_Strict):
    cpus: Annotated[float, Field(gt=0, le=4)] = 1.0
    memory: str = "512m"
    pids: Annotated[int, Field(ge=32, le=4096)] = 512

    @field_validator("memory")
    @classmethod
    def _memory(cls, v: str) -> str:
        if parse_size(v) < 32 << 20:
            raise ValueError("expected at least 32m")
        return v

    @property
    def memory_bytes(self) -> int:
        return parse_size(self.memory)


class Host(_Strict):
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,30}$")]
    image: str | None = Field(default=None, pattern=r"^opslab/[a-z0-9][a-z0-9._-]*$")
    build: str | None = None
    resources: Resources = Resources()
    # Size-capped RAM file systems, {path: size}: a real "No space left on device" for a
    # disk-full lab, whatever the engine's storage driver can cap.
    tmpfs: dict[Annotated[str, Field(pattern=r"^/[A-Za-z0-9._/-]+$")], str] = {}

    @field_validator("tmpfs")
    @classmethod
    def _tmpfs(cls, v: dict[str, str]) -> dict[str, str]:
        for size in v.values():
            if parse_size(size) > 1 << 30:
                raise ValueError(f"expected a tmpfs of at most 1g, got {size}")
        return v

    @model_validator(mode="after")
    def _image_or_build(self) -> Host:
        if (self.image is None) == (self.build is None):
            raise ValueError("expected exactly one of 'image' (opslab/<name>) or 'build' (./folder)")
        return self


def _must_be_unique(what: str, values: list[str]) -> None:
    dupes = sorted({v for v in values if values.count(v) > 1})
    if dupes:
        raise ValueError(f"{what} must be unique, repeated: {', '.join(dupes)}")


class Sandbox(_Strict):
    hosts: Annotated[list[Host], Field(min_length=1, max_length=8)]

    @field_validator("hosts")
    @classmethod
    def _unique(cls, hosts: list[Host]) -> list[Host]:
        _must_be_unique("host names", [h.name for h in hosts])
        return hosts


class Task(_Strict):
    id: Annotated[str, Field(pattern=SLUG)]
    title: Annotated[str, Field(min_length=1)]
    points: Annotated[int, Field(ge=1, le=100)] = 1
    hints: list[str] = []


class LabSpec(_Strict):
    """The schema of lab.yaml."""

    format: Literal[1] = 1
    id: Annotated[str, Field(pattern=SLUG)]
    title: Annotated[str, Field(min_length=1)]
    summary: str = ""
    skills: Annotated[list[str], Field(min_length=1)]
    difficulty: Literal["beginner", "intermediate", "advanced"]
    duration: str = "30m"
    check_timeout: str = "20s"
    sandbox: Sandbox
    tasks: Annotated[list[Task], Field(min_length=1)]

    @field_validator("skills")
    @classmethod
    def _skills(cls, skills: list[str]) -> list[str]:
        unknown = [s for s in skills if s not in SKILLS]
        if unknown:
            raise ValueError(f"unknown skill {unknown[0]!r}; expected one of: {', '.join(SKILLS)}")
        return skills

    @field_validator("duration", "check_timeout")
    @classmethod
    def _duration(cls, v: str) -> str:
        parse_duration(v)
        return v

    @field_validator("tasks")
    @classmethod
    def _unique_tasks(cls, tasks: list[Task]) -> list[Task]:
        _must_be_unique("task ids", [t.id for t in tasks])
        return tasks


@dataclass(frozen=True)
class Cheat:
    """A shortcut that must not reach full marks on the tasks it targets."""

    name: str
    path: Path
    targets: tuple[str, ...]  # task ids; every task when the script names none


@dataclass(frozen=True)
class Lab:
    """A loaded, validated lab folder."""

    spec: LabSpec
    path: Path
    version: str  # content hash of the folder: a report says exactly what was graded
    checks: dict[str, tuple[str, ...]]  # task id -> check test names (file::function)
    cheats: tuple[Cheat, ...]

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def hosts(self) -> list[Host]:
        return self.spec.sandbox.hosts

    @property
    def max_score(self) -> int:
        return sum(t.points for t in self.spec.tasks)

    @property
    def duration_seconds(self) -> int:
        return parse_duration(self.spec.duration)

    @property
    def check_timeout_seconds(self) -> int:
        return parse_duration(self.spec.check_timeout)

    def task(self, task_id: str) -> Task:
        for t in self.spec.tasks:
            if t.id == task_id:
                return t
        raise KeyError(task_id)


def lab_version(path: Path) -> str:
    """Hash every file of the lab folder (paths and bytes) into a short, stable version."""
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        rel = f.relative_to(path)
        if _IGNORED_PARTS & set(rel.parts) or f.suffix == ".pyc":
            continue
        h.update(rel.as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:12]


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
            allowed = ", ".join(parent.model_fields) if parent else ""
            msg = f"unknown key; expected one of: {allowed}"
        elif e["type"] == "missing":
            msg = "required key is missing"
        else:
            msg = e["msg"].removeprefix("Value error, ")
            if "input" in e and e["type"] not in ("value_error",) and not isinstance(e["input"], dict):
                msg += f" (got {e['input']!r})"
        problems.append(LabError("lab.yaml", msg, _key(loc) or None))
    return problems


def _model_at(loc: tuple, raw: dict) -> type[BaseModel] | None:
    """The pydantic model that a location in lab.yaml is validated by (for listing keys)."""
    model: type[BaseModel] = LabSpec
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        ann = field.annotation
        inner = getattr(ann, "__args__", (ann,))
        nxt = next((a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if nxt is None:
            for a in inner:  # list[Model]
                nxt = next((x for x in getattr(a, "__args__", ()) if isinstance(x, type) and issubclass(x, BaseModel)), None) or nxt
        if nxt is None:
            return None
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
            tree = ast.parse(f.read_text(), filename=rel)
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
        m = _TARGETS.search(f.read_text())
        targets = tuple(t.strip() for t in m.group(1).replace(",", " ").split()) if m else ()
        if spec:
            known = {t.id for t in spec.tasks}
            for t in targets:
                if t not in known:
                    problems.append(LabError(f"cheats/{f.name}", f"'# targets:' names unknown task {t!r}; tasks: {', '.join(sorted(known))}", "targets"))
            targets = targets or tuple(t.id for t in spec.tasks)
        cheats.append(Cheat(f.stem, f, targets))
    return tuple(cheats)


def load_lab(path: Path | str) -> Lab:
    """Load and validate one lab folder; raise LabFormatError listing every problem found."""
    path = Path(path).resolve()
    problems: list[LabError] = []
    if not path.is_dir():
        raise LabFormatError([LabError(str(path), "not a folder")])
    spec = None
    yaml_file = path / "lab.yaml"
    try:
        raw = yaml.safe_load(yaml_file.read_text())
    except FileNotFoundError:
        problems.append(LabError("lab.yaml", "missing; every lab folder needs a lab.yaml"))
        raw = None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        problems.append(LabError("lab.yaml", f"{where}not valid YAML: {getattr(e, 'problem', e)}"))
        raw = None
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
    checks = _scan_checks(path, spec, problems)
    cheats = _scan_cheats(path, spec, problems)
    if problems:
        raise LabFormatError(problems)
    return Lab(spec=spec, path=path, version=lab_version(path), checks=checks, cheats=cheats)


def labs_root() -> Path:
    """The catalogue folder: $OPSLAB_LABS, else labs/ beside this package."""
    import os

    env = os.environ.get("OPSLAB_LABS")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "labs"


def lab_ids(root: Path | None = None) -> list[str]:
    root = root or labs_root()
    return sorted(p.name for p in root.iterdir() if (p / "lab.yaml").is_file()) if root.is_dir() else []


def find_lab(lab_id: str, root: Path | None = None) -> Lab:
    """Load a lab of the catalogue by id (or by a path to its folder)."""
    return load_lab(_lab_path(lab_id, root))


def _lab_path(lab_id: str, root: Path | None) -> Path:
    root = root or labs_root()
    candidate = Path(lab_id)
    if candidate.is_dir() and (candidate / "lab.yaml").exists():
        return candidate
    if not re.match(SLUG, lab_id) or not (root / lab_id).is_dir():
        raise LabNotFound(lab_id, lab_ids(root))
    return root / lab_id


@functools.lru_cache(maxsize=256)
def _load_version(path: Path, version: str) -> Lab:
    return load_lab(path)


def find_lab_cached(lab_id: str, root: Path | None = None) -> Lab:
    """find_lab for hot paths (the web app polls): re-parsed only when the folder's hash changes.

    Hashing a lab folder costs ~1 ms; parsing and checking it ~15 ms.
    """
    path = _lab_path(lab_id, root).resolve()
    return _load_version(path, lab_version(path))
