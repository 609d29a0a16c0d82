"""Capped tar streaming: files and facts read out of a sandbox through the engine.

What a candidate controls never fills the reader's disk or memory: a stream stops at a byte
limit, and extraction writes only plain files and folders inside the destination.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import tarfile
from pathlib import Path, PurePosixPath

COPY_LIMIT = 64 << 20  # what a candidate controls never fills the grader's disk or memory


class ArchiveTooLarge(Exception):
    """The copy is larger than the reader accepts."""


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


def extract_archive(chunks, dest: Path, limit: int = COPY_LIMIT, src: str | None = None) -> None:
    """Stream a tar from the engine into `dest`: never more than `limit` bytes, and only plain
    files, folders and links inside `dest` (tarfile's `data` filter refuses links that escape).
    With `src`, the path the archive was read from, an absolute link to a place inside `src`
    (`ln -s /etc/nginx/sites-available/x /etc/nginx/sites-enabled/`) is kept, made relative."""
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BufferedReader(_Capped(chunks, limit)), mode="r|") as tar:
        for member in tar:
            if src and member.issym() and member.linkname.startswith("/"):
                member = _relative_link(member, src)
            tar.extract(member, dest, filter="data")


def _relative_link(member: tarfile.TarInfo, src: str) -> tarfile.TarInfo:
    """An absolute link inside `src`, rewritten relative to the member (else unchanged: the
    `data` filter then refuses it)."""
    root = PurePosixPath(src.rstrip("/") or "/")
    target = PurePosixPath(posixpath.normpath(member.linkname))
    if not (target == root or root in target.parents):
        return member
    inside = PurePosixPath(root.name) / target.relative_to(root)  # as the archive names it
    rel = posixpath.relpath(str(inside), posixpath.dirname(member.name) or ".")
    return member.replace(linkname=rel, deep=False)


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
