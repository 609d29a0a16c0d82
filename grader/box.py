"""The box a lab's checks run in: lab authors are trusted with their lab, never with the host.

A grading run's check process is forked by the zygote (grader.zygote) as root on the grader's
host. Before any lab code runs, it enters the box (`run_boxed`):

- **files**: its own mount namespace whose root is an empty tmpfs holding, read-only, only
  what Python and the grader need (/usr, the interpreter, the virtualenv, the grader package)
  and the lab folder; read-write only its scratch folder and a private /tmp. No /var, no /etc
  of the host (a two-line passwd), no Docker socket, no platform state (database, secret key,
  recordings, other labs), no home folders.
- **network**: its own network namespace, whose only interface is a loopback left down. The
  session's hosts and the grader's tools are reached through the run's broker
  (grader.broker) over a Unix socket in the scratch folder; it answers for this run's hosts
  and the registered check tools, nothing else.
- **processes**: its own PID, IPC and UTS namespaces (no other process to see, signal or
  read the environment of), killed with its broker.
- **privileges**: uid 0 with every capability dropped, the bounding set emptied and
  no_new_privs set: it reads and writes what it owns in the box, and nothing it runs gains more.
- **environment**: a fixed one (`ENV`); the zygote itself starts without the platform's settings.

An audit hook names what a check reaches for outside the box (`VIOLATIONS`); the runner turns
any into a lab error, so `opslab lab validate` says which check tried what.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import resource
import signal
import sys
from pathlib import Path

ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8",
       "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1"}
BROKER_ENV = "OPSLAB_BROKER"     # the broker's socket, as the box sees it
HOSTNAME = b"opslab-checks"
# What one grading run may take of the grader's host (memory: address space; disk: per file
# written to the scratch folder, which is on the host's /tmp).
LIMITS = {resource.RLIMIT_AS: 4 << 30, resource.RLIMIT_FSIZE: 1 << 30, resource.RLIMIT_CORE: 0}

VIOLATIONS: list[str] = []       # what the checks reached for outside the box, in order

_CLONE_NEWNS, _CLONE_NEWUTS, _CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
_CLONE_NEWPID, _CLONE_NEWNET = 0x20000000, 0x40000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 32, 4096, 16384, 1 << 18
_MNT_DETACH = 2
_PR_SET_PDEATHSIG, _PR_CAPBSET_DROP, _PR_SET_NO_NEW_PRIVS, _PR_CAP_AMBIENT = 1, 24, 38, 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
_CAP_VERSION_3 = 0x20080522

_libc = ctypes.CDLL(None, use_errno=True)


class BoxError(RuntimeError):
    """The box could not be made (not root, no namespaces): the run stops before any lab code."""


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise BoxError(f"{what}: {os.strerror(err)}"
                       + (" (checks run boxed in Linux namespaces, which needs root)" if err == errno.EPERM else ""))


def _mount(src: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    def enc(s: str | None) -> bytes | None:
        return s.encode() if s is not None else None

    _check(_libc.mount(enc(src), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)), f"mount {target}")


def _prctl(option: int, arg: int) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0), f"prctl {option}")


def die_with_parent() -> None:
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _bind(root: Path, path: str, writable: bool = False) -> None:
    """Mount host `path` at the same place under `root` (read-only unless `writable`)."""
    src = Path(path)
    inside = root / src.relative_to("/")
    if src.is_dir():
        inside.mkdir(parents=True, exist_ok=True)
    else:
        inside.parent.mkdir(parents=True, exist_ok=True)
        inside.touch()
    _mount(path, str(inside), None, _MS_BIND | _MS_REC)
    flags = _MS_BIND | _MS_REMOUNT | _MS_NOSUID | (0 if path.startswith("/dev/") else _MS_NODEV)
    _mount(None, str(inside), None, flags | (0 if writable else _MS_RDONLY))


def _code_paths() -> list[str]:
    """What Python and the grader need, read-only: the interpreter, the virtualenv, the grader."""
    paths = {sys.base_prefix, sys.prefix, sys.exec_prefix, str(Path(__file__).resolve().parent)}
    return sorted(p for p in paths if p and os.path.isdir(p) and p != "/usr" and not p.startswith("/usr/"))


def allowed_roots(lab: Path, scratch: Path) -> list[str]:
    return ["/usr", "/bin", "/sbin", "/lib", "/lib64", "/etc", "/dev", "/proc", "/tmp",
            str(lab), str(scratch), *_code_paths()]


def _build_root(root: Path, lab: Path, scratch: Path) -> None:
    _mount("tmpfs", str(root), "tmpfs", _MS_NOSUID | _MS_NODEV, "size=8m,mode=0755")
    for tmp, size in (("tmp", "256m"), ("dev/shm", "64m")):  # first: the lab or scratch may be below /tmp
        (root / tmp).mkdir(parents=True, exist_ok=True)
        _mount("tmpfs", str(root / tmp), "tmpfs", _MS_NOSUID | _MS_NODEV, f"size={size},mode=1777")
    _bind(root, "/usr")
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):  # merged /usr: the same links
            os.symlink(os.readlink(top), root / top[1:])
        elif os.path.isdir(top):
            _bind(root, top)
    for path in _code_paths():
        _bind(root, path)
    _bind(root, str(lab))
    _bind(root, str(scratch), writable=True)
    etc = root / "etc"
    etc.mkdir(exist_ok=True)
    (etc / "passwd").write_text("root:x:0:0:root:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n")
    (etc / "group").write_text("root:x:0:\nnogroup:x:65534:\n")
    (etc / "hosts").write_text("127.0.0.1 localhost\n")
    for dev in ("null", "zero", "full", "random", "urandom"):
        _bind(root, f"/dev/{dev}", writable=True)
    for name, link in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                       ("stderr", "/proc/self/fd/2")):
        os.symlink(link, root / "dev" / name)
    (root / "proc").mkdir()
    _mount("proc", str(root / "proc"), "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)


def _pivot(root: Path) -> None:
    number = _SYS_PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise BoxError(f"checks run boxed, which is not built for {platform.machine()} yet (pivot_root)")
    old = root / ".old-root"
    old.mkdir()
    _check(_libc.syscall(number, str(root).encode(), str(old).encode()), "pivot_root")
    os.chdir("/")
    _check(_libc.umount2(b"/.old-root", _MNT_DETACH), "umount the host's root")
    os.rmdir("/.old-root")
    _mount(None, "/", None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _drop_privileges(last_cap: int) -> None:
    for cap in range(last_cap + 1):
        _prctl(_PR_CAPBSET_DROP, cap)
    _check(_libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clear ambient capabilities")
    _check(_libc.capset(ctypes.byref(_CapHeader(_CAP_VERSION_3, 0)), (_CapData * 2)()), "drop capabilities")
    _prctl(_PR_SET_NO_NEW_PRIVS, 1)


def _close_fds(keep: tuple[int, ...]) -> None:
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    for fd in map(int, os.listdir("/proc/self/fd")):
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass  # the listing's own descriptor


def _audit(lab: Path, scratch: Path, broker: str):
    roots = tuple(allowed_roots(lab, scratch))

    def outside(path) -> str | None:
        if isinstance(path, int):
            return None
        p = os.path.normpath(os.path.join(os.getcwd(), os.fsdecode(path)))
        inside = any(p == r or p.startswith(r + "/") for r in roots)
        skeleton = p == "/" or any(r.startswith(p + "/") for r in roots)  # a folder on the way to one
        return None if inside or skeleton else p

    def hook(event: str, args: tuple) -> None:
        if event in ("open", "os.listdir", "os.scandir") and args and (p := outside(args[0])):
            where = os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0] or "collecting the checks"
            VIOLATIONS.append(f"{where}: opened {p}")
            raise PermissionError(errno.EACCES, f"checks run boxed: {p} is outside the lab folder and the run's scratch space")
        if event == "socket.connect" and args[1] != broker:
            where = os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0] or "collecting the checks"
            VIOLATIONS.append(f"{where}: connected to {args[1]!r}")
            raise PermissionError(errno.EACCES, "checks run boxed: no network; reach the lab's hosts through "
                                                "their fixtures")

    return hook


def spawn_boxed(run, lab: Path, scratch: Path, env: dict[str, str]) -> int:
    """Fork a boxed process that calls `run()` and exits with its return value (96 when the box
    could not be made); return its pid. Called in a fresh child of the zygote, single-threaded."""
    last_cap = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    lab, scratch = lab.resolve(), scratch.resolve()
    pid = os.fork()
    if pid:
        return pid
    try:  # the middle process: new namespaces, then the box's pid 1
        die_with_parent()
        _check(_libc.unshare(_CLONE_NEWNS | _CLONE_NEWNET | _CLONE_NEWIPC | _CLONE_NEWUTS | _CLONE_NEWPID),
               "unshare namespaces")
        inner = os.fork()
        if inner:
            _, status = os.waitpid(inner, 0)
            os._exit(max(os.waitstatus_to_exitcode(status), 0) if os.WIFEXITED(status) else 97)
        die_with_parent()
        _mount(None, "/", None, _MS_REC | _MS_PRIVATE)
        root = scratch.parent / "root"
        root.mkdir(mode=0o700)
        _build_root(root, lab, scratch)
        _pivot(root)
        _check(_libc.sethostname(HOSTNAME, len(HOSTNAME)), "sethostname")
        _close_fds(())
        _drop_privileges(last_cap)
        for limit, value in LIMITS.items():
            resource.setrlimit(limit, (value, value))
        os.environ.clear()
        os.environ.update(env)
        os.chdir(lab)
        sys.addaudithook(_audit(lab, scratch, env.get(BROKER_ENV, "")))
        code = run()
    except BaseException as e:  # noqa: BLE001 - nothing of the lab ran yet, or it ended: say why and leave
        print(f"opslab: the checks' box failed: {type(e).__name__}: {e}", file=sys.stderr)
        code = 96
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


__all__ = ["BROKER_ENV", "ENV", "VIOLATIONS", "BoxError", "allowed_roots", "die_with_parent", "spawn_boxed"]
