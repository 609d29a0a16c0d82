"""The lab engine: the one place where the web platform, the workers and the CLI meet
sandboxes (infra) and grading (grader).

Start a lab (a sandbox from a neutral spec, then setup.sh), run a lab script on every host,
grade a session, destroy it, sweep (reap what expired, end what filled its disk), build the
images, validate a lab. Callers never reach into a provider or the grader's internals.
"""

from __future__ import annotations

import fcntl
import functools
import os
import secrets
import shlex
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from grader.catalogue import find_lab, find_lab_cached, lab_ids, labs_root
from grader.errors import LabError, LabNotFound
from grader.lab import Lab
from grader.loader import load_lab
from grader.params import ParamError, Value, complete, draw
from grader.params import env as param_env
from grader.report import Report
from grader.runner import GradingError, grade
from grader.runner import warm_up as _warm_up
from grader.schema import parse_size
from grader.selftest import DRAWS, MapUnits, Step, Validation, run_in_order, validate
from infra.errors import CommandFailed, EngineUnavailable, ImageMissing, InfraError, SandboxDown, SandboxNotFound
from infra.providers import get_provider
from infra.providers.base import BuildResult, HostSpec, Provider, ProviderInfo, Sandbox, SandboxInfo, SandboxSpec
from infra.watchdog import enforce_disk_limit, watch
from opslab.quiesce import quiesce
from opslab.saved_work import SavedHost, WorkTooLarge, restore_work, save_work

__all__ = ["DRAWS", "KNOWN_ERRORS", "GRACE", "BuildResult", "Lab", "LabChanged", "LabError", "LabNotFound", "ParamError",
           "ProviderInfo", "Report", "SANDBOX_OOM", "Sandbox", "SandboxDown", "SandboxInfo", "SandboxNotFound",
           "build_images", "catalogue", "describe_failure", "destroy_sandbox", "disk_cap_warning", "down_sentence",
           "ended_for_disk", "ensure_disk_watchdog", "find_lab", "find_lab_cached", "get_sandbox",
           "grade_session", "lab_for_session", "lab_ids", "lab_sandbox", "labs_root", "list_sandboxes", "load_lab",
           "new_session_id", "provider", "quiesce", "quiesce_session", "run_script", "sandboxes_down",
           "save_session_work", "session_params", "start_lab", "sweep",
           "validate_lab", "warm_up", "watch_disks", "WorkTooLarge"]

SCRIPT_TIMEOUT = 300  # seconds a setup/solution script may run
GRACE = 15 * 60       # a sandbox outlives its lab's time limit by this much before the reaper takes it
DEFAULT_DISK = "2g"   # OPSLAB_SANDBOX_DISK
DEFAULT_INODES = 50_000  # OPSLAB_SANDBOX_INODES, where the engine cannot cap disks
WATCHDOG_IDLE = 300   # seconds a CLI-started disk watchdog waits with no sandbox before it exits

Progress = Callable[[str], None]


class LabChanged(InfraError):
    """The lab's folder changed since the session started: its checks may no longer fit."""

    def __init__(self, lab: str, session: str, started_on: str, now: str):
        super().__init__(f"lab {lab} changed since session {session} started "
                         f"(started on {started_on}, now {now}); start a new session")


# Errors whose message tells a person what to do; anything else is a bug to show with -v.
KNOWN_ERRORS = (LabError, LabNotFound, InfraError, GradingError, ParamError)


def provider() -> Provider:
    """The sandbox provider named by OPSLAB_PROVIDER (docker by default), built once per
    setting (OPSLAB_PROVIDER, OPSLAB_SANDBOX_DISK, OPSLAB_SANDBOX_INODES, DOCKER_HOST)."""
    env = os.environ
    return _provider(env.get("OPSLAB_PROVIDER", "docker"), env.get("OPSLAB_SANDBOX_DISK") or DEFAULT_DISK,
                     env.get("OPSLAB_SANDBOX_INODES") or str(DEFAULT_INODES), env.get("DOCKER_HOST", ""))


@functools.cache
def _provider(name: str, disk: str, inodes: str, _docker_host: str) -> Provider:
    try:
        disk_bytes = parse_size(disk)
    except ValueError as e:
        raise InfraError(f"OPSLAB_SANDBOX_DISK: {e}") from None
    if not inodes.isdigit():
        raise InfraError(f"OPSLAB_SANDBOX_INODES: expected a number of files such as 50000, got {inodes!r}")
    return get_provider(name, disk_limit_bytes=disk_bytes, inode_limit=int(inodes))


def warm_up() -> None:
    """Start the grader's fork server with this provider's target driver preloaded (a
    worker's start-up), so the first Check does not pay for it."""
    _warm_up((provider().info().target_driver,))


def new_session_id() -> str:
    return secrets.token_hex(6)


# -- starting a lab ---------------------------------------------------------------------------

def host_image(lab: Lab, host) -> str:
    """The image a host runs: a catalogue image, or the lab's own `build:` folder."""
    return host.image or f"opslab/lab-{lab.id}-{host.name}"


def sandbox_spec(lab: Lab, session: str, ttl: int | None = None, params: dict[str, Value] | None = None) -> SandboxSpec:
    """The neutral sandbox spec infra receives: names, images, sizes in bytes, the parameters."""
    hosts = tuple(
        HostSpec(name=h.name, image=host_image(lab, h), cpus=h.resources.cpus,
                 memory_bytes=h.resources.memory_bytes, pids=h.resources.pids,
                 tmpfs={path: parse_size(size) for path, size in h.tmpfs.items()})
        for h in lab.hosts)
    return SandboxSpec(session=session, lab=lab.id, lab_version=lab.version, hosts=hosts,
                       ttl_seconds=ttl or lab.duration_seconds + GRACE, params=dict(params or {}))


def run_script(sandbox: Sandbox, lab: Lab, script: Path, action: str | None = None,
               params: dict[str, Value] | None = None) -> float:
    """Run a lab script as root on every host in lab.yaml order; raise CommandFailed on error.

    The script and a copy of files/ go to a private folder that is removed afterwards, so
    neither setup nor solution is left behind for the candidate to read. The script gets the
    sandbox's lab parameters as OPSLAB_PARAM_<NAME> (`params` instead: another draw's, to
    prove that its answer does not fit this one).
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
               "OPSLAB_FILES": f"{stage}/files", "DEBIAN_FRONTEND": "noninteractive",
               **param_env(sandbox.params if params is None else params)}
        result = sandbox.exec(host, ["/bin/bash", "-c", wrapper], env=env)
        if result.exit_code != 0:
            raise CommandFailed(action, host, result.exit_code, result.output)
    return time.monotonic() - t0


def session_params(lab: Lab, session: str) -> dict[str, Value]:
    """A session's lab parameters: drawn from its id (a secret token), so the web page, the
    sandbox and every grade agree without storing them first; {} for a lab without."""
    return draw(lab.spec.params, session)


def start_lab(lab: Lab, session: str | None = None, ttl: int | None = None,
              progress: Progress = lambda s: None, params: dict[str, Value] | None = None,
              restore: Path | None = None) -> Sandbox:
    """Create the lab's sandbox and run setup.sh; nothing is left behind if either fails.

    The lab's parameters are drawn from the session id (session_params); `params` sets some
    or all of them instead (ParamError for a value a draw could not give). The sandbox keeps
    them (its labels), so run_script and every grade find them. `restore`: a folder of
    saved work (save_session_work) put back after setup (opslab.saved_work).
    """
    session = session or new_session_id()
    values = complete(lab.spec.params, params or {}, seed=session)
    pin_lab(lab)
    progress(f"creating sandbox {session} ({', '.join(h.name for h in lab.hosts)})")
    if values:
        progress("parameters: " + " ".join(f"{k}={v}" for k, v in values.items()))
    sandbox = provider().create(sandbox_spec(lab, session, ttl, values))
    try:
        progress("running setup")
        run_script(sandbox, lab, lab.path / "setup.sh", "setup.sh")
        if restore is not None:
            progress("putting your saved work back")
            restore_work(sandbox, lab, restore)
    except BaseException:
        sandbox.destroy()
        raise
    progress("ready")
    return sandbox


@contextmanager
def lab_sandbox(lab: Lab, params: dict[str, Value] | None = None) -> Iterator[Sandbox]:
    """A fresh, set-up sandbox for the length of a `with` block (self-test, benchmarks), with
    these lab parameters (else drawn)."""
    sandbox = start_lab(lab, ttl=30 * 60, params=params)
    try:
        yield sandbox
    finally:
        sandbox.destroy()


# -- sessions -----------------------------------------------------------------------------------

def get_sandbox(session: str) -> Sandbox:
    """A live sandbox by session id, or SandboxNotFound."""
    return provider().get(session)


def list_sandboxes() -> list[SandboxInfo]:
    return provider().list()


def destroy_sandbox(session: str) -> bool:
    """Remove a session's sandbox; False when there was none (safe to call twice)."""
    try:
        provider().get(session).destroy()
    except SandboxNotFound:
        return False
    return True


def pinned_labs() -> Path:
    """Where the versions of labs that sessions started on are kept: $OPSLAB_VAR/lab-versions."""
    return Path(os.environ.get("OPSLAB_VAR") or Path(__file__).resolve().parent.parent / "var") / "lab-versions"


def pin_lab(lab: Lab) -> None:
    """Keep a copy of this version of the lab, so a session started on it keeps its README,
    checks and scripts however the lab is edited later (copied once per version)."""
    dest = pinned_labs() / lab.version / lab.id
    if dest.is_dir():
        return
    tmp = dest.parent / f".{lab.id}.{secrets.token_hex(4)}"
    shutil.copytree(lab.path, tmp, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", "*.pyc"))
    try:
        tmp.rename(dest)  # atomic: another process pinning the same version at once loses quietly
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)


def catalogue() -> list[Lab]:
    """The valid labs of the catalogue (a malformed one is left out; `lab list` shows it)."""
    labs = []
    for lab_id in lab_ids():
        try:
            labs.append(find_lab_cached(lab_id))
        except (LabError, LabNotFound):
            continue
    return labs


def lab_for_session(lab_id: str, version: str, session: str) -> Lab:
    """The lab a session runs, in the version it started on: the catalogue's when it is still
    that version, else the copy pinned at start (pin_lab); LabChanged when neither has it."""
    lab = find_lab_cached(lab_id)
    if not version or lab.version == version:
        return lab
    pinned = pinned_labs() / version / lab_id
    if pinned.is_dir():
        try:
            old = _load_pinned(pinned)
        except LabError:
            old = None
        if old is not None and old.version == version:
            return old
    raise LabChanged(lab.id, session, version, lab.version)


@functools.lru_cache(maxsize=64)
def _load_pinned(path: Path) -> Lab:
    return load_lab(path)


def grade_session(session: str, lab: Lab | None = None) -> Report:
    """Grade a live session's sandbox now with the checks of the version it started on.
    SandboxDown when a host is gone or stopped: a half-gone sandbox is an error, never a 0."""
    prov = provider()
    down = next((dict(i.down) for i in prov.list(session) if i.session == session), None)
    if down:
        raise SandboxDown(session, down)
    sandbox = prov.get(session)
    report = grade(lab or lab_for_session(sandbox.lab, sandbox.lab_version, session), sandbox.target())
    report.params = dict(sandbox.params)  # what this attempt's checks judged against
    return report


def save_session_work(session: str, dest: Path, max_bytes: int | None = None) -> list[SavedHost]:
    """Save what the candidate changed on a live session's shell hosts since the image into
    `dest` (opslab.saved_work: WorkTooLarge past OPSLAB_SAVED_WORK_LIMIT)."""
    sandbox = provider().get(session)
    return save_work(sandbox, lab_for_session(sandbox.lab, sandbox.lab_version, session), dest, max_bytes)


def quiesce_session(session: str) -> None:
    """`quiesce` a live session's sandbox for its final grade. Nothing to do when the sandbox
    is gone or its lab changed or went away (the grade that follows records why); an engine
    that does not answer raises (EngineUnavailable: the caller retries)."""
    try:
        sandbox = provider().get(session)
        quiesce(sandbox, lab_for_session(sandbox.lab, sandbox.lab_version, session))
    except (SandboxNotFound, LabChanged, LabNotFound, LabError):
        return


def shell_command(session: str, host: str | None = None, interactive: bool = True) -> list[str]:
    """argv for a root login shell on a session's host (the first the candidate may enter by
    default); a service host (`shell: false`) is refused."""
    sandbox = provider().get(session)
    allowed = [h.name for h in find_lab_cached(sandbox.lab).shell_hosts]
    host = host or allowed[0]
    if host not in allowed:
        raise InfraError(f"host {host!r} of session {session} is a service host the candidate does not enter; "
                         f"shells: {', '.join(allowed)}")
    return sandbox.shell_command(host, interactive=interactive)


SANDBOX_OOM = "the sandbox ran out of memory"  # the candidate's doing (like a full disk): not credited


@dataclass(frozen=True)
class Swept:
    removed: list[str]          # expired or orphaned
    over_disk: dict[str, str]   # session -> why it was ended for filling its disk (now or by the watchdog)
    down: dict[str, str] = field(default_factory=dict)  # session of `alive` -> sentence: a host gone or stopped


def sweep(keep: frozenset[str] = frozenset(), alive: frozenset[str] = frozenset()) -> Swept:
    """Remove expired and orphaned sandboxes (except `keep`, still owed a final grade) and
    end any over its disk limits; also report those the disk watchdog ended since, and which
    of the sessions that should be `alive` have a host gone or stopped (not those ended for
    their disk: health is read before the watchdog's reports, which explain a removal)."""
    prov = provider()
    removed = prov.reap(keep=keep)
    down = sandboxes_down(alive, prov) if alive else {}
    over = {**_take_watchdog_reports(), **enforce_disk_limit(prov)}
    return Swept(removed, over, {s: why for s, why in down.items() if s not in over})


def sandboxes_down(alive: frozenset[str], prov: Provider | None = None) -> dict[str, str]:
    """{session: a sentence for the candidate} for each session in `alive` whose sandbox the
    engine no longer has whole: removed, or a host removed, stopped or out of memory."""
    seen = {i.session: i for i in (prov or provider()).list()}
    return {s: down_sentence(dict(seen[s].down) if s in seen else {}) for s in alive
            if s not in seen or seen[s].down}


def down_sentence(down: dict[str, str]) -> str:
    """Why a sandbox stopped working, for the candidate (`down`: host -> what the engine says;
    empty when the whole sandbox is gone). Starts with SANDBOX_OOM when memory ran out."""
    if not down:
        return "your lab's machine was removed unexpectedly; the session had to end"
    host, why = next(iter(down.items()))
    if why == "out of memory":
        return f"{SANDBOX_OOM}: machine {host} used all the memory this lab allows and stopped"
    said = {"removed": "was removed"}.get(why, f"stopped ({why})")
    return f"your lab's machine {host} {said} unexpectedly; the session had to end"



# -- the disk watchdog where the engine cannot cap disks ---------------------------------------

def _var() -> Path:
    return Path(os.environ.get("OPSLAB_VAR", Path(__file__).resolve().parent.parent / "var"))


def disk_cap_warning() -> str | None:
    """A start-up warning when the engine cannot cap a sandbox's disk, naming the fix."""
    info = provider().info()
    if info.disk_cap_enforced:
        return None
    return (f"warning: the sandbox engine cannot cap a sandbox's disk (its storage is not btrfs); the disk "
            f"watchdog ends a sandbox over {info.disk_limit_bytes >> 20} MiB or {info.inode_limit:,} files "
            "within about a second instead. For a cap the kernel enforces, stop that engine and run `make docker` "
            "(infra/setup/ensure-docker.sh starts one on btrfs); OPSLAB_DISK_CAP=0 there keeps overlay2.")


def watch_disks(stop: threading.Event, idle_exit: float | None = None, log: Progress = lambda s: None,
                session: str | None = None) -> None:
    """Run the disk watchdog until `stop` (or `idle_exit` seconds with no sandbox), as the one
    watchdog of this machine's var/ folder: another one running makes this one wait for its
    turn (idle_exit None) or return. `session` watches that sandbox alone."""
    folder = _var() / "watchdog"
    (folder / "ended").mkdir(parents=True, exist_ok=True)
    with open(folder / "lock", "w") as lock:
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if idle_exit is not None or stop.wait(5):
                    return

        def ended(session: str, reason: str) -> None:
            tmp = folder / "ended" / f".{session}"
            tmp.write_text(reason)
            tmp.rename(folder / "ended" / session)  # the sweep reports it (a platform fails the session)
            log(f"ended sandbox {session}: {reason}")

        watch(provider(), ended, stop, idle_exit=idle_exit, session=session, log=log)


def ended_for_disk(session: str) -> str | None:
    """Why the disk watchdog ended this session's sandbox, while the sweep has not yet taken
    its report (a Check that finds the sandbox gone must not call that a platform failure)."""
    try:
        return (_var() / "watchdog" / "ended" / session).read_text()
    except OSError:
        return None


def _take_watchdog_reports() -> dict[str, str]:
    folder = _var() / "watchdog" / "ended"
    reports = {}
    for f in folder.glob("[!.]*") if folder.is_dir() else []:
        try:
            reports[f.name] = f.read_text()
            f.unlink()
        except FileNotFoundError:
            pass  # another sweep took it
    return reports


def ensure_disk_watchdog() -> None:
    """Where the engine cannot cap disks, leave a disk watchdog running for CLI use (a
    process that exits after WATCHDOG_IDLE seconds with no sandbox; one per var/ folder).
    OPSLAB_DISK_WATCHDOG=0 starts none (test runs; a watchdog run by other means)."""
    if os.environ.get("OPSLAB_DISK_WATCHDOG") == "0" or provider().info().disk_cap_enforced:
        return
    folder = _var() / "watchdog"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "watchdog.log", "ab") as log:
        subprocess.Popen([sys.executable, "-m", "opslab.cli", "sandbox", "watch", "--until-idle", str(WATCHDOG_IDLE)],
                         stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)


def describe_failure(exc: BaseException) -> str | None:
    """A sentence a candidate can act on for an expected failure; None for an unexpected one
    (the caller logs it and shows a generic line)."""
    if isinstance(exc, ImageMissing):
        return "this lab's sandbox image is not built yet; an administrator needs to run `opslab images build`"
    if isinstance(exc, EngineUnavailable):
        return "the sandbox engine is not reachable right now; please try again later"
    if isinstance(exc, CommandFailed):
        return f"the lab's setup failed on host {exc.host}; the lab authors have to fix it"
    if isinstance(exc, LabChanged):
        return "this lab was updated after your session started; start a new session"
    if isinstance(exc, SandboxDown):
        return down_sentence(exc.down)
    if isinstance(exc, SandboxNotFound):
        return "the sandbox is gone; the lab can no longer be checked"
    if isinstance(exc, GradingError):
        return "grading is unavailable for this lab right now; please try again in a minute"
    if isinstance(exc, (LabError, LabNotFound, InfraError)):
        return str(exc)
    return None


# -- authors and operators ----------------------------------------------------------------------

def validate_lab(lab_id: str, progress: Progress = lambda s: None, draws: int = DRAWS,
                 map_units: MapUnits = run_in_order) -> Validation:
    """`opslab lab validate` for one lab: setup → 0, solution → full marks, cheats miss; a lab
    with parameters on `draws` different draws of them. `map_units` runs its sandboxes (one by
    one by default; the CLI's shares a pool between labs)."""
    try:
        lab = find_lab(lab_id)
    except (LabError, LabNotFound) as e:
        v = Validation(lab_id, "-")
        v.steps.append(Step("load", "valid lab folder", False, 0, 0, 0.0, str(e)))
        return v
    for h in lab.hosts:  # a lab's own image is rebuilt when its folder changed, never used stale
        if h.build:
            t0 = time.monotonic()
            try:
                provider().build_lab_image(host_image(lab, h), lab.path / h.build, progress)
            except InfraError as e:
                v = Validation(lab.id, lab.version)
                v.steps.append(Step("image", f"{h.build} builds", False, 0, lab.max_score,
                                    time.monotonic() - t0, str(e)))
                return v
    return validate(lab, lab_sandbox, run_script, progress=progress, before_grade=quiesce, draws=draws,
                    map_units=map_units)


def build_images(names: list[str] | None = None, force: bool = False, pull: bool = False,
                 progress: Progress = lambda s: None) -> list[BuildResult]:
    """Build opslab/base and infra/images/* (only what changed); with no names, also every
    lab's own `build:` image."""
    prov = provider()
    results = prov.build_images(names, progress, force=force, pull=pull)
    for lab_id in [] if names else lab_ids():
        try:
            lab = load_lab(labs_root() / lab_id)
        except LabError:
            continue
        for h in lab.hosts:
            if h.build:
                results.append(prov.build_lab_image(host_image(lab, h), lab.path / h.build, progress, force))
    return results
