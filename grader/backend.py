"""A testinfra back end that runs commands through the Docker Engine API.

testinfra's own `docker://` back end forks the docker CLI for every command (~50–100 ms);
this one keeps one HTTP connection to the engine (~5–10 ms per command), which is what
keeps a check run under a second. Target spec: `opslab-docker://<container>`.
It also copies files out through the engine, not through tools inside the sandbox that a
candidate could replace.
"""

from __future__ import annotations

import filecmp
import functools
import hashlib
import io
import os
import re
import shlex
import stat
import tarfile
from pathlib import Path
from typing import Any

import docker
from testinfra.backend import BACKENDS, base
from testinfra.modules.systeminfo import SystemInfo

# Checks judge with a fixed environment: the candidate's shell profile never applies, and
# nothing they add under /usr/local can stand in for a system tool testinfra looks up.
ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "HOME": "/root"}
# The tools a check's command runs must be as the image has them, or the check fails saying
# so (a candidate could forge any answer otherwise): every absolute path in a `bin`/`sbin`
# folder outside /usr/local (lab territory: setup installs there), and every bare word as
# it would be found on PATH (testinfra's modules call `cat`, `stat`, `id`, `ps` by name).
BARE_WORD = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*$")


@functools.cache
def _client() -> docker.DockerClient:
    return docker.from_env(timeout=120)


class DockerApiBackend(base.BaseBackend):
    NAME = "opslab-docker"

    def __init__(self, name: str, *args: Any, **kwargs: Any):
        self.container = name
        self._runs, self._diff_cache = 0, None
        super().__init__(name, *args, **kwargs)

    def get_encoding(self) -> str:
        return "utf-8"  # never ask the sandbox's python: the candidate controls it

    def run(self, command: str, *args: str, **kwargs: Any) -> base.CommandResult:
        cmd = self.get_command(command, *args)
        forged = self.forged_tools(cmd)
        if forged:
            raise AssertionError(f"the grader cannot trust {forged[0]} on this host: it changed since the host "
                                 "was built; put back the original to be graded")
        api = _client().api
        ex = api.exec_create(self.container, ["/bin/sh", "-c", cmd], environment=ENV, user="root",
                             workdir="/")
        out, err = api.exec_start(ex["Id"], demux=True)
        rc = api.exec_inspect(ex["Id"])["ExitCode"]
        self._runs += 1
        return self.result(rc if rc is not None else -1, self.encode(cmd), out or b"", err or b"")

    def is_changed(self, path: str, fresh: bool = True) -> bool:
        """Was `path` added, changed or deleted since the image? Asked of the engine's storage,
        which a candidate cannot forge (unlike a checksum list inside the sandbox).

        On the engine's own machine with overlay2 this looks in the container's upper layer,
        where a file appears when it is written, deleted (a whiteout) or re-permissioned, and
        a file equal to the image's (mode, owner, bytes) is not a change (microseconds).
        Otherwise it asks the engine's diff API (a few hundred ms): fetched again after a
        command ran when `fresh`, else whatever was fetched last (the per-command tool check).
        """
        upper = self._upper
        if upper is None:
            return path in self._diff(fresh)
        node = upper
        rel = Path(path).relative_to("/")
        for part in rel.parts:
            node = node / part
            if node.is_symlink():
                return True  # the candidate swapped a folder for a link: changed, and never followed
            if not os.path.lexists(node):
                return False
        return not self._same_as_image(node, rel)

    def _same_as_image(self, node: Path, rel: Path) -> bool:
        """A file copied up but equal to the image's (touched, or put back byte for byte,
        with its mode and owner) is not a change; anything else in the upper layer is."""
        st = node.lstat()
        if not stat.S_ISREG(st.st_mode):
            return False
        for lower in self._lowers:
            if any((lower / Path(*rel.parts[:i])).is_symlink() for i in range(1, len(rel.parts))):
                return False  # a link in the image where the upper layer has a folder: changed
            orig = lower / rel
            if os.path.lexists(orig):
                o = orig.lstat()
                return (stat.S_ISREG(o.st_mode) and (o.st_mode, o.st_uid, o.st_gid, o.st_size)
                        == (st.st_mode, st.st_uid, st.st_gid, st.st_size) and filecmp.cmp(orig, node, shallow=False))
        return False

    @functools.cached_property
    def _lowers(self) -> list[Path]:
        data = (_client().api.inspect_container(self.container).get("GraphDriver") or {}).get("Data") or {}
        return [Path(p) for p in (data.get("LowerDir") or "").split(":") if p]

    def forged_tools(self, cmd: str) -> list[str]:
        """Tools `cmd` would run that changed since the image (microseconds each)."""
        try:
            words = list(shlex.shlex(cmd, posix=True, punctuation_chars=True))
        except ValueError:  # unbalanced quotes: the shell will refuse it anyway
            return []
        forged = []
        for w in dict.fromkeys(words):
            if w.startswith("/") and not w.startswith("/usr/local/") and {"bin", "sbin"} & set(Path(w).parent.parts):
                candidates = [w]
            elif BARE_WORD.match(w):
                candidates = [f"{d}/{w}" for d in ENV["PATH"].split(":")]
            else:
                continue
            # /bin is a link to /usr/bin on a merged-/usr system: a tool replaced under either
            # name is written under /usr in the container's layer.
            candidates += ["/usr" + c for c in candidates if not c.startswith("/usr/")]
            forged += [w] if any(self.is_changed(c, fresh=False) for c in candidates) else []
        return forged

    def changed_paths(self) -> list[str]:
        """Every path added, changed or deleted since the image, per the engine (the upper
        layer's contents; the engine's diff API elsewhere)."""
        upper = self._upper
        if upper is None:
            return sorted(self._diff(fresh=True))
        found = []
        for root, dirs, files in os.walk(upper):  # symlinks are listed, never followed
            base = "/" + os.path.relpath(root, upper).removeprefix(".").lstrip("/")
            found += [os.path.join(base, name) for name in dirs + files]
        return sorted(found)

    @functools.cached_property
    def _upper(self) -> Path | None:
        driver = _client().api.inspect_container(self.container).get("GraphDriver") or {}
        upper = (driver.get("Data") or {}).get("UpperDir")
        if driver.get("Name") == "overlay2" and upper and os.path.isdir(upper):
            return Path(upper)
        return None

    def _diff(self, fresh: bool) -> set[str]:
        """The engine's diff: fetched once, then again only if `fresh` and a command ran since."""
        if self._diff_cache is None or (fresh and self._diff_cache[0] < self._runs):
            self._diff_cache = (self._runs, {c["Path"] for c in (_client().api.diff(self.container) or [])})
        return self._diff_cache[1]

    def copy_out(self, src: str, dest: Path, limit: int | None = None) -> Path:
        """Copy a file or folder out of the container through the engine into `dest`."""
        try:
            stream, _ = _client().api.get_archive(self.container, src)
        except docker.errors.NotFound:
            raise FileNotFoundError(f"{src} does not exist in the sandbox") from None
        extract_archive(stream, dest, limit or COPY_LIMIT)
        return dest / Path(src.rstrip("/")).name

    def snapshot(self, src: str, limit: int | None = None) -> dict[str, tuple]:
        """What is at `src`, read through the engine: {path: (kind, mode, uid, gid, size,
        mtime, sha256 or link target)} for it and everything below it; {} when it is absent."""
        try:
            stream, _ = _client().api.get_archive(self.container, src)
        except docker.errors.NotFound:
            return {}
        return snapshot_archive(stream, str(Path(src.rstrip("/") or "/").parent), limit or COPY_LIMIT)


# What the grader's own commands run through: a sandbox where one of these changed could
# answer any check falsely, so it is not graded at all (see grader.plugin).
TRUSTED_PATHS = {
    "/bin/sh", "/usr/bin/sh", "/bin/dash", "/usr/bin/dash", "/etc/ld.so.preload", "/etc/ld.so.cache",
    "/etc/ld.so.conf", "/lib64/ld-linux-x86-64.so.2", "/usr/lib64/ld-linux-x86-64.so.2",
    "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "/usr/lib/x86_64-linux-gnu/libc.so.6",
}
# The merged-/usr links (a folder or another link in their place reroutes every tool) and the
# shared libraries every tool loads.
TRUSTED_PATHS |= {"/bin", "/sbin", "/lib", "/lib64"}
TRUSTED_PREFIXES = ("/etc/ld.so.conf.d/", "/usr/lib/x86_64-linux-gnu/")


def tampered(backend: DockerApiBackend) -> list[str]:
    """The trusted paths changed since the image on this host."""
    paths = sorted(TRUSTED_PATHS) + [p.rstrip("/") for p in TRUSTED_PREFIXES]
    return [p for p in paths if backend.is_changed(p)]


COPY_LIMIT = 64 << 20  # what a candidate controls never fills the grader's disk or memory


class ArchiveTooLarge(Exception):
    pass


class _Capped(io.RawIOBase):
    """A read-only file over the engine's byte chunks that refuses to go past `limit`."""

    def __init__(self, chunks, limit: int):
        self._chunks, self._buf, self._left = iter(chunks), b"", limit

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self._buf:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._left -= len(chunk)
            if self._left < 0:
                raise ArchiveTooLarge("the copy is larger than the grader accepts")
            self._buf = chunk
        n = min(len(b), len(self._buf))
        b[:n], self._buf = self._buf[:n], self._buf[n:]
        return n


def extract_archive(chunks, dest: Path, limit: int = COPY_LIMIT) -> None:
    """Stream a tar from the engine into `dest`: never more than `limit` bytes, and only plain
    files and folders inside `dest` (tarfile's `data` filter refuses links that escape)."""
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BufferedReader(_Capped(chunks, limit)), mode="r|") as tar:
        for member in tar:
            tar.extract(member, dest, filter="data")


def snapshot_archive(chunks, parent: str, limit: int = COPY_LIMIT) -> dict[str, tuple]:
    """Read a tar stream from the engine into {absolute path: facts} without writing a byte
    to disk; `parent` is the folder the archive's top entry lives in."""
    kinds = {tarfile.REGTYPE: "file", tarfile.AREGTYPE: "file", tarfile.DIRTYPE: "dir", tarfile.SYMTYPE: "link",
             tarfile.LNKTYPE: "hardlink", tarfile.FIFOTYPE: "fifo", tarfile.CHRTYPE: "char", tarfile.BLKTYPE: "block"}
    facts = {}
    with tarfile.open(fileobj=io.BufferedReader(_Capped(chunks, limit)), mode="r|") as tar:
        for m in tar:
            if m.isfile():
                digest, f = hashlib.sha256(), tar.extractfile(m)
                while chunk := f.read(1 << 16):
                    digest.update(chunk)
                content = digest.hexdigest()
            else:
                content = m.linkname or None
            path = str(Path(parent, m.name.rstrip("/")))
            facts[path] = (kinds.get(m.type, "other"), m.mode, m.uid, m.gid, m.size, m.mtime, content)
    return facts


class OneExecSystemInfo(SystemInfo):
    """testinfra's SystemInfo from one command instead of three (uname -s, os-release, uname -m).

    Many modules (host.file, host.package, …) ask for it first; each exec costs ~50 ms of
    engine time, a good share of a whole grading run.
    """

    @functools.cached_property
    def sysinfo(self) -> dict:
        out = self.check_output("uname -s; uname -m; cat /etc/os-release 2>/dev/null || true").splitlines()
        info = {"type": out[0].strip().lower(), "arch": out[1].strip() if len(out) > 1 else None,
                "distribution": None, "codename": None, "release": None}
        keys = {"ID": "distribution", "VERSION_ID": "release", "VERSION_CODENAME": "codename"}
        for line in out[2:]:
            key, _, value = line.partition("=")
            if key in keys:
                info[keys[key]] = value.strip().strip("\"'")
        return info


def get_host(spec: str):
    """A testinfra Host for a target spec, with the one-exec SystemInfo attached (lazily run)."""
    import testinfra

    host = testinfra.get_host(spec)
    host.system_info = OneExecSystemInfo.get_module(host)
    return host


def register() -> None:
    BACKENDS[DockerApiBackend.NAME] = f"{__name__}.DockerApiBackend"
