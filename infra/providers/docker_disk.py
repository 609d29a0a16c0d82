"""What a Docker sandbox really holds on this machine's disk, read from the host.

For the watchdog where the engine cannot cap a container's disk (overlay2 on ext4). The
engine's own figure (SizeRw) sums file sizes in the upper layer, so it calls a 4 GiB sparse
file using nothing 4 GiB, misses a file deleted while a process still holds it open (gone
from the layer, its blocks still taken) and ignores how many files there are. Here:
- the upper layer is counted like `du`: allocated blocks, hard links once, and its entries
  (inodes); the walk opens folders by descriptor and never follows a link;
- files deleted but still open by a process of the container (its pid namespace), through
  a descriptor or a memory map, count their allocated blocks too.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def pid_namespaces() -> dict[str, list[int]]:
    """{pid namespace: host pids in it}, from one pass over /proc."""
    spaces: dict[str, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                spaces.setdefault(os.readlink(f"/proc/{name}/ns/pid"), []).append(int(name))
            except OSError:
                pass  # gone meanwhile
    return spaces


def namespace_of(pid: int) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


def upper_usage(upper: Path, max_inodes: int = 0) -> tuple[int, int]:
    """(bytes allocated, entries) under an upper layer; stops counting entries past
    `max_inodes` (when set), since the sandbox is over its limit by then anyway."""
    seen: set[int] = set()
    total = [0, 0]

    def walk(fd: int) -> None:
        try:
            with os.scandir(fd) as it:
                entries = list(it)
            for e in entries:
                if max_inodes and total[1] > max_inodes:
                    return
                try:
                    st = e.stat(follow_symlinks=False)
                except OSError:
                    continue
                total[1] += 1
                if st.st_nlink > 1 and not stat.S_ISDIR(st.st_mode):
                    if st.st_ino in seen:
                        continue
                    seen.add(st.st_ino)
                total[0] += st.st_blocks * 512
                if stat.S_ISDIR(st.st_mode):
                    try:
                        sub = os.open(e.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                    except OSError:
                        continue
                    walk(sub)
        finally:
            os.close(fd)

    try:
        walk(os.open(upper, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW))
    except OSError:
        pass
    return total[0], total[1]


def held_deleted(pids: list[int], init_pid: int) -> int:
    """Bytes allocated to files of the container's root file system that were deleted while
    one of `pids` holds them open (by descriptor or memory map)."""
    try:
        root_dev = os.stat(f"/proc/{init_pid}/root").st_dev
    except OSError:
        return 0
    held: dict[int, int] = {}

    def count(path: str) -> None:
        try:
            st = os.stat(path)
        except OSError:
            return
        if st.st_dev == root_dev and st.st_nlink == 0 and stat.S_ISREG(st.st_mode):
            held[st.st_ino] = st.st_blocks * 512

    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}").endswith(" (deleted)"):
                    count(f"/proc/{pid}/fd/{fd}")
            except OSError:
                pass
        try:
            with open(f"/proc/{pid}/maps") as maps:
                for line in maps:
                    if line.endswith(" (deleted)\n"):
                        count(f"/proc/{pid}/map_files/{line.split()[0]}")
        except OSError:
            pass
    return sum(held.values())
