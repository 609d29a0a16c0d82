"""What the grader needs from a sandbox: the target protocol, declared here, met elsewhere.

A grading run receives a target description (JSON, built by the engine):

    {"driver": "<module>", "hosts": {"<host name>": "<host spec>", ...}, "params": {"<name>": value, ...}}

`params` (optional, {} when absent) holds the attempt's lab parameters (grader.params); the
checks read them through the `params` fixture.

`driver` names a module that provides `host_target(spec) -> HostTarget` and
`tool_box(image, workdir, env, scratch=(), caps=()) -> ToolBox`. A sandbox provider ships one (the Docker
provider's is `infra.providers.docker_target`); the grader imports it by that name, so the
grader and the providers never import each other and a new back end is one more module
that meets these protocols.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class ToolResult:
    rc: int
    stdout: str
    stderr: str


class HostTarget(Protocol):
    """One host of a sandbox, read through its engine (never through tools the candidate owns)."""

    def run(self, argv: list[str], env: dict[str, str]) -> tuple[int, bytes, bytes]:
        """Run a command as root in `/` and wait: (exit code, stdout, stderr)."""

    def is_changed(self, path: str, fresh: bool = True) -> bool:
        """Was `path` added, changed or deleted since the image? `fresh=False` may reuse the
        answer of an earlier call when that is much cheaper (the per-command tool check)."""

    def changed_paths(self) -> list[str]:
        """Every path added, changed or deleted since the image."""

    def copy_out(self, src: str, dest: Path, limit: int | None = None) -> Path:
        """Copy a file or folder into the local folder `dest` (capped); FileNotFoundError if absent."""

    def snapshot(self, src: str, limit: int | None = None) -> dict[str, tuple]:
        """{path: (kind, mode, uid, gid, size, mtime, sha256 or link target)} for `src` and
        everything below it; {} when it is absent."""


class ToolBox(Protocol):
    """A pristine, boxed place to run one of the grader's own tools (grader.tools) on files
    copied out of the sandbox: no network, no capabilities (but the few `caps` a tool names),
    a read-only root with only `workdir` mounted and empty scratch folders (`scratch`)."""

    def run(self, argv: list[str], cwd: Path, timeout: float = 120) -> ToolResult: ...

    def close(self) -> None: ...


class Driver(Protocol):
    def host_target(self, spec: str) -> HostTarget: ...

    def tool_box(self, image: str, workdir: Path, env: dict[str, str], scratch: tuple[str, ...] = (),
                 caps: tuple[str, ...] = ()) -> ToolBox: ...


def load_driver(target: dict) -> Driver:
    """The driver module a target description names; a description without one is refused."""
    name = target.get("driver")
    if not isinstance(name, str) or not name:
        raise ValueError('the grading target names no driver; expected {"driver": "<module>", "hosts": {...}}')
    return importlib.import_module(name)
