"""What changed in a container since its image, read from the engine's storage on this machine.

The grader asks `is_changed(path)` for every tool a check runs, so this must be exact (the
candidate is root in the container and could forge any list kept inside it) and fast
(microseconds, where the engine's diff API takes ~300 ms). Two storage drivers are read:

- overlay2: the container's upper layer holds what was written, deleted (a whiteout) or
  re-permissioned; anything else is the image's.
- btrfs: the container is a snapshot of its init layer (the image plus /etc/hosts and the
  like), so a path is unchanged when its inode there is the snapshot's own: same inode
  number, mode, owner, size, mtime and ctime (a candidate can set mtime but not ctime).

In both, a regular file equal to the image's (mode, owner, bytes) is not a change, so a file
touched or put back byte for byte is trusted again. Symlinks in the container are never
followed: a link where the image had none is a change, an unchanged link ends the lookup.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def local_layers(client, inspect: dict) -> OverlayLayers | BtrfsLayers | None:
    """The fast reader for a container on this machine's engine, or None (remote engine,
    another storage driver, or storage this process cannot read)."""
    graph = inspect.get("GraphDriver") or {}
    data = graph.get("Data") or {}
    if graph.get("Name") == "overlay2":
        upper = data.get("UpperDir")
        if upper and os.path.isdir(upper):
            return OverlayLayers(Path(upper), [Path(p) for p in (data.get("LowerDir") or "").split(":") if p])
    elif graph.get("Name") == "btrfs":
        try:
            root = Path(client.info()["DockerRootDir"])
            mount_id = (root / "image/btrfs/layerdb/mounts" / inspect["Id"] / "mount-id").read_text().strip()
        except (OSError, KeyError):
            return None
        subvols = root / "btrfs/subvolumes"
        container, init = subvols / mount_id, subvols / f"{mount_id}-init"
        if container.is_dir() and init.is_dir():
            return BtrfsLayers(container, init, _created_ns(inspect.get("Created", "")))
    return None


def _open_regular(path: Path | str, expect: os.stat_result, dir_fd: int | None = None):
    """Open a regular file without following a link or blocking on a FIFO, and only if it is
    the inode looked at (a candidate's swap in between cannot point the grader elsewhere)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    except OSError:
        return None
    f = open(fd, "rb")
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or (st.st_dev, st.st_ino) != (expect.st_dev, expect.st_ino):
        f.close()
        return None
    return f


def _created_ns(created: str) -> int:
    """The engine's `Created` (RFC 3339, ns) in ns since the epoch, rounded down; 0 if unreadable."""
    from datetime import datetime

    try:
        whole, _, frac = created.rstrip("Z").partition(".")
        secs = datetime.fromisoformat(whole + "+00:00").timestamp()
    except ValueError:
        return 0
    return int(secs) * 10**9 + int((frac[:9] or "0").ljust(9, "0"))


def _same_bytes(a: Path, b: Path, sa: os.stat_result, sb: os.stat_result) -> bool:
    """Two regular files with the same mode, owner, size and bytes. Read each time: a cache
    keyed on size and mtime (filecmp's) would trust a rewrite that kept both."""
    if not (stat.S_ISREG(sa.st_mode) and stat.S_ISREG(sb.st_mode)
            and (sa.st_mode, sa.st_uid, sa.st_gid, sa.st_size) == (sb.st_mode, sb.st_uid, sb.st_gid, sb.st_size)):
        return False
    fa, fb = _open_regular(a, sa), _open_regular(b, sb)
    try:
        while fa and fb:
            x, y = fa.read(1 << 16), fb.read(1 << 16)
            if x != y:
                return False
            if not x:
                return True
        return False
    finally:
        for f in (fa, fb):
            if f:
                f.close()


class OverlayLayers:
    def __init__(self, upper: Path, lowers: list[Path]):
        self.upper, self.lowers = upper, lowers

    def is_changed(self, path: str) -> bool:
        node = self.upper
        rel = Path(path).relative_to("/")
        for part in rel.parts:
            node = node / part
            if node.is_symlink():
                return True  # the candidate swapped a folder for a link: changed, and never followed
            if not os.path.lexists(node):
                return False
        return not self._same_as_image(node, rel)

    def _same_as_image(self, node: Path, rel: Path) -> bool:
        st = node.lstat()
        if not stat.S_ISREG(st.st_mode):
            return False
        for lower in self.lowers:
            if any((lower / Path(*rel.parts[:i])).is_symlink() for i in range(1, len(rel.parts))):
                return False  # a link in the image where the upper layer has a folder: changed
            orig = lower / rel
            if os.path.lexists(orig):
                return _same_bytes(orig, node, orig.lstat(), st)
        return False

    def changed_paths(self) -> list[str]:
        found = []
        for root, dirs, files in os.walk(self.upper):  # symlinks are listed, never followed
            base = "/" + os.path.relpath(root, self.upper).removeprefix(".").lstrip("/")
            found += [os.path.join(base, name) for name in dirs + files]
        return sorted(found)


def _lstat(p: Path) -> os.stat_result | None:
    try:
        return p.lstat()
    except (FileNotFoundError, NotADirectoryError):
        return None


def _key(st: os.stat_result | None) -> tuple | None:
    """What a change to an inode alters; ctime cannot be set from inside the container."""
    if st is None:
        return None
    return st.st_ino, st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_mtime_ns, st.st_ctime_ns


class BtrfsLayers:
    def __init__(self, container: Path, image: Path, created_ns: int = 0):
        self.container, self.image = container, image
        # Every inode changed in the container has a ctime after the container was created;
        # one from before is the image's, untouched (walks skip comparing it). A second of margin
        # for the kernel's coarse clock.
        self.created_ns = created_ns - 10**9
        self.dev = container.lstat().st_dev  # the container's subvolume: a file elsewhere is not its own

    def is_changed(self, path: str) -> bool:
        c, i = self.container, self.image
        cs, is_ = _lstat(c), _lstat(i)
        parts = Path(path).relative_to("/").parts
        for n, part in enumerate(parts):
            c = c / part
            cs = _lstat(c)
            # the image side stops at a link or a file: nothing of the image lies beyond it
            is_ = _lstat(i / part) if i is not None else None
            i = i / part if is_ is not None and stat.S_ISDIR(is_.st_mode) else None
            if cs is None:
                return self._in_image(parts)
            if stat.S_ISLNK(cs.st_mode) and n < len(parts) - 1:
                return _key(cs) != _key(is_)  # an unchanged link ends the lookup, as on overlay
            if not stat.S_ISDIR(cs.st_mode) and n < len(parts) - 1:
                return self._in_image(parts)  # a file where the path needs a folder
        if _key(cs) == _key(is_):
            return stat.S_ISDIR(cs.st_mode) and self._subtree_changed(c, self.image.joinpath(*parts))
        if stat.S_ISREG(cs.st_mode) and is_ is not None:
            return cs.st_dev != self.dev or not _same_bytes(c, self.image.joinpath(*parts), cs, is_)
        return True

    def _in_image(self, parts: tuple[str, ...]) -> bool:
        """Whether the image has the path, never following its links."""
        node = self.image
        for n, part in enumerate(parts):
            node = node / part
            st = _lstat(node)
            if st is None:
                return False
            if n < len(parts) - 1 and not stat.S_ISDIR(st.st_mode):
                return False
        return True

    def _subtree_changed(self, c_dir: Path, i_dir: Path) -> bool:
        """Anything under a folder whose own inode is unchanged (so no entry was added or
        removed in it) differs from the image: a file written in place, a sub-folder changed."""
        changed: list[str] = []
        self._walk(c_dir, i_dir, "/", changed, first_only=True)
        return bool(changed)

    def changed_paths(self) -> list[str]:
        """Every path whose inode differs from the image's, and what was deleted (its top)."""
        found: list[str] = []
        self._walk(self.container, self.image, "/", found)
        return sorted(found)

    def _walk(self, c_dir: Path, i_dir: Path | None, base: str, found: list[str], first_only: bool = False) -> None:
        """Compare a container folder with the image's, recursively. Folders are opened by
        descriptor with O_NOFOLLOW, so a folder swapped for a link meanwhile is never entered."""
        try:
            fd = os.open(c_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError:
            found.append(base.rstrip("/") or "/")
            return
        if os.fstat(fd).st_dev != self.dev:  # reached outside the container's subvolume: a swap
            os.close(fd)
            found.append(base.rstrip("/") or "/")
            return
        self._walk_fd(fd, i_dir, base, found, first_only)

    def _walk_fd(self, fd: int, i_dir: Path | None, base: str, found: list[str], first_only: bool) -> None:
        try:
            own = os.fstat(fd)
            names = set()
            with os.scandir(fd) as it:
                entries = list(it)
            for e in entries:
                names.add(e.name)
                st = e.stat(follow_symlinks=False)
                old = st.st_ctime_ns < self.created_ns
                ist = None if i_dir is None else st if old else _lstat(i_dir / e.name)
                if not old and _key(st) != _key(ist):
                    found.append(base + e.name)
                    if first_only:
                        return
                if stat.S_ISDIR(st.st_mode):
                    try:
                        sub = os.open(e.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                    except OSError:
                        found.append(base + e.name)
                        continue
                    isub = i_dir / e.name if i_dir is not None and ist is not None and stat.S_ISDIR(ist.st_mode) else None
                    self._walk_fd(sub, isub, base + e.name + "/", found, first_only)
                    if first_only and found:
                        return
            if i_dir is not None and own.st_ctime_ns >= self.created_ns and _key(own) != _key(_lstat(i_dir)):
                found += [base + name for name in os.listdir(i_dir) if name not in names]
        finally:
            os.close(fd)
