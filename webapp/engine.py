"""The lab engine: where labs (grader) meet sandboxes (infra).

Start a lab (sandbox + setup.sh), run a lab script on every host, grade a session. The CLI,
the self-test and (later) Celery tasks are thin wrappers over these functions.
"""

from __future__ import annotations

import secrets
import shlex
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from grader.lab import Lab, find_lab
from grader.report import Report
from grader.runner import grade
from infra.errors import CommandFailed, InfraError
from infra.providers.base import HostSpec, Provider, Sandbox, SandboxSpec

SCRIPT_TIMEOUT = 300  # seconds a setup/solution script may run
GRACE = 15 * 60       # a sandbox outlives its lab's time limit by this much before the reaper takes it

Progress = Callable[[str], None]


def new_session_id() -> str:
    return secrets.token_hex(6)


def host_image(lab: Lab, host) -> str:
    """The image a host runs: a catalogue image, or the lab's own `build:` folder."""
    return host.image or f"opslab/lab-{lab.id}-{host.name}"


def sandbox_spec(lab: Lab, session: str, ttl: int | None = None) -> SandboxSpec:
    hosts = tuple(
        HostSpec(name=h.name, image=host_image(lab, h), cpus=h.resources.cpus,
                 memory_bytes=h.resources.memory_bytes, pids=h.resources.pids, tmpfs=dict(h.tmpfs))
        for h in lab.hosts)
    return SandboxSpec(session=session, lab=lab.id, lab_version=lab.version, hosts=hosts,
                       ttl_seconds=ttl or lab.duration_seconds + GRACE)


def run_script(sandbox: Sandbox, lab: Lab, script: Path, action: str | None = None) -> float:
    """Run a lab script as root on every host in lab.yaml order; raise CommandFailed on error.

    The script and a copy of files/ go to a private folder that is removed afterwards, so
    neither setup nor solution is left behind for the candidate to read.
    """
    action = action or script.name
    t0 = time.monotonic()
    name = f"opslab-{secrets.token_hex(4)}"
    stage = f"/run/{name}"
    files = {f"{name}/script.sh": script.read_bytes()}
    if (lab.path / "files").is_dir():
        files[f"{name}/files"] = lab.path / "files"
    for host in sandbox.hosts:
        sandbox.put_files(host, "/run", files)  # one upload; the stage folder arrives as 0700
        wrapper = (f"cd /root; timeout -k 5 {SCRIPT_TIMEOUT} bash {stage}/script.sh; rc=$?; "
                   f"rm -rf {shlex.quote(stage)}; exit $rc")
        env = {"OPSLAB_HOST": host, "OPSLAB_HOSTS": " ".join(sandbox.hosts),
               "OPSLAB_FILES": f"{stage}/files", "DEBIAN_FRONTEND": "noninteractive"}
        result = sandbox.exec(host, ["/bin/bash", "-c", wrapper], env=env)
        if result.exit_code != 0:
            raise CommandFailed(action, host, result.exit_code, result.output)
    return time.monotonic() - t0


def start_lab(provider: Provider, lab: Lab, session: str | None = None, ttl: int | None = None,
              progress: Progress = lambda s: None) -> Sandbox:
    """Create the lab's sandbox and run setup.sh; nothing is left behind if either fails."""
    session = session or new_session_id()
    progress(f"creating sandbox {session} ({', '.join(h.name for h in lab.hosts)})")
    sandbox = provider.create(sandbox_spec(lab, session, ttl))
    try:
        progress("running setup")
        run_script(sandbox, lab, lab.path / "setup.sh", "setup.sh")
    except BaseException:
        sandbox.destroy()
        raise
    progress("ready")
    return sandbox


@contextmanager
def lab_sandbox(provider: Provider, lab: Lab) -> Iterator[Sandbox]:
    """A fresh, set-up sandbox for the length of a `with` block (self-test, benchmarks)."""
    sandbox = start_lab(provider, lab, ttl=30 * 60)
    try:
        yield sandbox
    finally:
        sandbox.destroy()


def session_lab(sandbox: Sandbox) -> Lab:
    """The lab a session runs, refusing to grade it against a different version of the lab."""
    lab = find_lab(sandbox.lab)
    if sandbox.lab_version and lab.version != sandbox.lab_version:
        raise InfraError(
            f"lab {lab.id} changed since session {sandbox.session} started "
            f"(started on {sandbox.lab_version}, now {lab.version}); start a new session")
    return lab


def grade_session(sandbox: Sandbox, lab: Lab | None = None) -> Report:
    return grade(lab or session_lab(sandbox), sandbox.target())
