"""Saved practice work: what a candidate changed in a sandbox, kept to put back in a new one.

At the end of a practice session (Stop or time-up) `save_work` asks the engine what changed
on each shell host since the image (the engine's diff: modified, added, deleted) and keeps
it in a folder: per host, a tar of the added and modified paths (owners, modes, links kept)
and the list of deleted ones, all within a size limit. `restore_work` puts it back in a new
sandbox of the same lab version after its setup.sh ran (files setup wrote are overwritten by
the candidate's versions, which is what they had), deletes what the candidate deleted, then
starts the lab's `services:` again so they run from the restored files.

Not saved: running processes (services come back from their configuration; a process the
candidate started by hand does not), and the paths in SKIPPED (kernel and runtime file
systems, temporary files, caches, the engine's own per-container files).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from grader.lab import Lab
from infra.archive import ArchiveTooLarge
from infra.errors import InfraError
from infra.providers.base import Sandbox
from opslab.quiesce import quiesce

LIMIT = 64 << 20  # OPSLAB_SAVED_WORK_LIMIT: all hosts' tars together
MANIFEST = "manifest.json"
# Never saved: kernel and runtime file systems, what a reboot empties, caches and package
# lists, the engine's per-container files, and our own staging folders.
SKIPPED = ("/proc", "/sys", "/dev", "/run", "/tmp", "/var/run", "/var/lock", "/var/cache", "/var/lib/apt/lists",
           "/var/log/journal", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/etc/mtab", "/.dockerenv",
           "/usr/sbin/docker-init")
MODIFIED, ADDED, DELETED = 0, 1, 2  # the engine's diff kinds


class WorkTooLarge(InfraError):
    """The changes are larger than the saved-work limit."""

    def __init__(self, limit: int):
        super().__init__(f"your changes come to more than {limit >> 20} MiB (the limit for saved work); "
                         "delete large files you made before you stop, to keep your work next time")


@dataclass(frozen=True)
class SavedHost:
    name: str
    paths: int      # added or modified paths in the tar
    deleted: list[str]
    size: int       # bytes of the tar


def limit() -> int:
    """OPSLAB_SAVED_WORK_LIMIT in bytes (a size such as 64m; default 64 MiB)."""
    from grader.schema import parse_size

    raw = os.environ.get("OPSLAB_SAVED_WORK_LIMIT")
    try:
        return parse_size(raw) if raw else LIMIT
    except ValueError as e:
        raise InfraError(f"OPSLAB_SAVED_WORK_LIMIT: {e}") from None


def skipped(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in SKIPPED)


def save_work(sandbox: Sandbox, lab: Lab, dest: Path, max_bytes: int | None = None) -> list[SavedHost]:
    """Save what changed on every shell host since the image into `dest` (made 0700; a folder
    that exists is replaced only when all of it is saved): `<host>.tar` and a manifest.
    WorkTooLarge past the limit (then nothing is kept); InfraError when the engine fails."""
    max_bytes = limit() if max_bytes is None else max_bytes
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True, mode=0o700)
    try:
        hosts, left = [], max_bytes
        for host in lab.shell_hosts:
            changes = [(p, k) for p, k in sandbox.changes(host.name) if not skipped(p)]
            keep = sorted(p for p, k in changes if k != DELETED)
            deleted = _tops(sorted(p for p, k in changes if k == DELETED))
            try:
                size = sandbox.archive(host.name, keep, tmp / f"{host.name}.tar", left) if keep else 0
            except ArchiveTooLarge:
                raise WorkTooLarge(max_bytes) from None
            left -= size
            hosts.append(SavedHost(host.name, len(keep), deleted, size))
        (tmp / MANIFEST).write_text(json.dumps({"lab": lab.id, "lab_version": lab.version, "saved_at": time.time(),
                                                "params": dict(sandbox.params), "hosts": [h.__dict__ for h in hosts]}))
        shutil.rmtree(dest, ignore_errors=True)
        tmp.rename(dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return hosts


def _tops(paths: list[str]) -> list[str]:
    """Sorted deleted paths without those under another deleted path."""
    tops: list[str] = []
    for p in paths:
        if not tops or not p.startswith(tops[-1].rstrip("/") + "/"):
            tops.append(p)
    return tops


def read_manifest(src: Path) -> dict:
    """A saved folder's manifest (lab, lab_version, params, hosts); InfraError if it is not one."""
    try:
        return json.loads((src / MANIFEST).read_text())
    except (OSError, ValueError) as e:
        raise InfraError(f"{src} is not saved work ({MANIFEST}: {e}); `opslab stop SESSION --save DIR` makes one") from None


def restore_work(sandbox: Sandbox, lab: Lab, src: Path) -> None:
    """Put saved work back into a freshly set-up sandbox of the same lab: each host's tar as
    root (owners and modes as saved), then its deleted paths removed (those it can); then the lab's
    `services:` start again from the restored files (opslab.quiesce)."""
    manifest = read_manifest(src)
    for host in manifest.get("hosts", []):
        name = host["name"]
        if name not in sandbox.hosts:
            continue  # the lab no longer has this host: nothing to put back there
        tar = src / f"{name}.tar"
        if host["paths"] and tar.is_file():
            sandbox.restore_archive(name, tar)
        if host["deleted"]:
            stage = f"opslab-restore-{os.getpid()}"
            sandbox.put_files(name, "/run", {f"{stage}/deleted": "\0".join(host["deleted"]).encode()})
            # best effort: a path this sandbox cannot delete (a mount point) stays, and Resume goes on
            sandbox.exec(name, ["/bin/sh", "-c", f"xargs -0 -r rm -rf -- < /run/{stage}/deleted 2>/dev/null; "
                                                 f"rm -rf /run/{stage}"], workdir="/")
    quiesce(sandbox, lab)
