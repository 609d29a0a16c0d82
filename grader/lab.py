"""The lab model: a loaded, validated lab folder (`Lab`), its cheats, and its version hash."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from grader.schema import Host, LabSpec, Task, parse_duration

# Files that never change what a lab is: caches and editor droppings.
IGNORED_PARTS = {"__pycache__", ".pytest_cache", ".DS_Store"}


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
    def shell_hosts(self) -> list[Host]:
        """The hosts a candidate gets a shell on (service hosts are reached over the network)."""
        return [h for h in self.hosts if h.shell]

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
        if IGNORED_PARTS & set(rel.parts) or f.suffix == ".pyc":
            continue
        h.update(rel.as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:12]

