"""The sandbox contract every provider implements, plus labels and specs they share.

A sandbox is a set of hosts on a private network of its own. It is found again by its
labels (`opslab.session`, `opslab.expires`), never by IDs held in memory, so a crashed
process leaves nothing the reaper cannot find.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

LABEL_SESSION = "opslab.session"
LABEL_EXPIRES = "opslab.expires"  # unix seconds; the reaper removes what is past it
LABEL_LAB = "opslab.lab"
LABEL_LAB_VERSION = "opslab.lab-version"
LABEL_HOST = "opslab.host"
LABEL_HOSTS = "opslab.hosts"  # every host of the sandbox in lab.yaml order, comma separated
LABEL_PARAMS = "opslab.params"  # the attempt's lab parameters, JSON {name: value} (absent: none)


@dataclass(frozen=True)
class HostSpec:
    """One host, sizes already in bytes (the engine parses lab.yaml's; infra parses nothing)."""

    name: str
    image: str
    cpus: float = 1.0
    memory_bytes: int = 512 << 20
    pids: int = 512
    tmpfs: dict[str, int] = field(default_factory=dict)  # path -> size in bytes


@dataclass(frozen=True)
class SandboxSpec:
    session: str
    lab: str
    lab_version: str
    hosts: tuple[HostSpec, ...]
    ttl_seconds: int = 3600
    # The attempt's lab parameters (grader.params), kept with the sandbox so that every
    # later grade finds them; values are strings or integers.
    params: dict[str, str | int] = field(default_factory=dict)

    def labels(self, now: float | None = None) -> dict[str, str]:
        expires = int((now or time.time()) + self.ttl_seconds)
        labels = {
            LABEL_SESSION: self.session,
            LABEL_EXPIRES: str(expires),
            LABEL_LAB: self.lab,
            LABEL_LAB_VERSION: self.lab_version,
            LABEL_HOSTS: ",".join(h.name for h in self.hosts),
        }
        if self.params:
            labels[LABEL_PARAMS] = json.dumps(self.params, separators=(",", ":"))
        return labels


def params_from_label(value: str | None) -> dict[str, str | int]:
    """The parameters a sandbox's LABEL_PARAMS holds ({} when absent or unreadable)."""
    try:
        params = json.loads(value) if value else {}
    except ValueError:
        return {}
    return params if isinstance(params, dict) else {}


@dataclass(frozen=True)
class ExecResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@dataclass(frozen=True)
class Tty:
    """A login shell on a host's TTY: a raw socket, resize(cols, rows), and close()."""

    socket: object
    resize: Callable[[int, int], None]
    close: Callable[[], None]


@dataclass(frozen=True)
class ProviderInfo:
    """What a provider can do here, for start-up messages, the watchdog and the contract suite."""

    name: str
    runtime: str               # the container runtime or cluster kind sandboxes run on
    disk_cap_enforced: bool    # the engine itself stops a sandbox at disk_limit_bytes
    disk_limit_bytes: int      # per sandbox; where not enforced, the watchdog ends offenders
    max_hosts: int             # hosts one sandbox may have
    local: bool                # the engine runs on this machine (fast storage-level checks)
    target_driver: str         # the module grading runs import to reach hosts (grader.target)
    inode_limit: int = 0       # files a sandbox may create where the cap is not enforced (0: none)


@dataclass(frozen=True)
class DiskUsage:
    """What a sandbox holds on the engine's disk (its largest host), for the watchdog."""

    bytes: int              # blocks really allocated since the image, deleted-but-open files included
    inodes: int = 0         # files, folders and links it made (0 where the engine cannot tell)
    held_deleted: int = 0   # of `bytes`, files deleted while a process still holds them open


@dataclass(frozen=True)
class BuildResult:
    image: str
    built: bool  # False when it was already up to date
    seconds: float = 0.0


@dataclass(frozen=True)
class SandboxInfo:
    """What `sandbox list` and the reaper see: one row per session."""

    session: str
    lab: str
    lab_version: str
    expires: int
    hosts: tuple[str, ...]
    running: bool
    params: dict[str, str | int] = field(default_factory=dict)  # the attempt's lab parameters


class Sandbox(Protocol):
    session: str
    lab: str
    lab_version: str
    hosts: tuple[str, ...]  # in lab.yaml order; the first is the primary host
    params: dict[str, str | int]  # the attempt's lab parameters (SandboxSpec.params), {} for none

    def target(self) -> dict:
        """The grader's view (grader.target): {"driver": module, "hosts": {name: spec}, "params":
        {name: value}}, hosts ordered."""

    def exec(self, host: str, cmd: list[str], env: dict | None = None, workdir: str = "/root") -> ExecResult:
        """Run a command as root on a host and wait for it."""

    def attach_tty(self, host: str, cols: int = 80, rows: int = 24) -> Tty:
        """Start a login shell on a TTY; close() ends the shell too."""

    def copy_out(self, host: str, src: str, dest: Path) -> Path:
        """Copy a file or folder from the host into the local folder `dest`."""

    def put_files(self, host: str, dest: str, files: dict[str, bytes | Path]) -> None:
        """Write files (relative path -> bytes or local path) under the existing folder `dest`;
        folders on the way are created private (0700)."""

    def shell_command(self, host: str, interactive: bool = True) -> list[str]:
        """argv that opens a root login shell on the host from this machine (`opslab shell`)."""

    def destroy(self) -> None:
        """Remove every container and the network; safe to call twice."""


class Provider(Protocol):
    """A sandbox back end. A new one is one module plus one line in infra.providers.PROVIDERS,
    and must pass tests/integration/test_provider_contract.py."""

    name: str

    def info(self) -> ProviderInfo:
        """Capabilities and limits of this back end, as configured."""

    def create(self, spec: SandboxSpec) -> Sandbox:
        """Create and start every host; on failure remove what was made and raise."""

    def get(self, session: str) -> Sandbox:
        """Find a live sandbox by its session label, or raise SandboxNotFound."""

    def list(self) -> list[SandboxInfo]:
        """Every sandbox this provider can see, live or expired."""

    def reap(self, now: float | None = None, orphan_grace: int = 120, keep: frozenset[str] = frozenset()) -> list[str]:
        """Remove expired and orphaned sandboxes, except the sessions in `keep` (still owed a
        final grade); return what was removed."""

    def disk_usage(self, session: str | None = None) -> dict[str, DiskUsage]:
        """{session: what its largest host holds on disk}, for the disk watchdog."""

    def build_images(self, names: list[str] | None, progress: Callable[[str], None], force: bool = False,
                     pull: bool = False) -> list[BuildResult]:
        """Build the project's images (opslab/base, infra/images/*), only what changed."""

    def build_lab_image(self, tag: str, folder: Path, progress: Callable[[str], None],
                        force: bool = False) -> BuildResult:
        """Build a lab's own image from its `build:` folder, only if it changed."""
