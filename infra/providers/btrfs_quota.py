"""Keep btrfs counting sandbox disks.

btrfs caps each sandbox through its quota groups, whose bookkeeping the kernel can mark
inconsistent (full qgroups; seen here while the engine deleted image layers: "to be deleted qgroup … has
non-zero numbers"). From then on it counts, and so caps, nothing until a rescan. The sweep
(DockerProvider.reap) looks at the flag on every pass and starts a rescan (~30 s for the
engine's data root here, while sandboxes keep running); `make docker` rescans before anything
starts.
"""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

log = logging.getLogger(__name__)


def _flag(root: str) -> Path | None:
    try:
        uuid = subprocess.run(["findmnt", "-n", "-o", "UUID", "--target", root], capture_output=True, text=True,
                              timeout=5).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    flag = Path("/sys/fs/btrfs") / uuid / "qgroups" / "inconsistent"
    return flag if uuid and flag.exists() else None


def counting(root: str) -> bool | None:
    """False while the kernel's quota bookkeeping is inconsistent; None when it cannot be told."""
    flag = _flag(root)
    if flag is None:
        return None
    try:
        return flag.read_text().strip() != "1"
    except OSError:
        return None


def keep_counting(root: str) -> bool:
    """Start a rescan when the bookkeeping went inconsistent; True when it was counting."""
    if counting(root) is not False:
        return True
    log.warning("btrfs stopped counting sandbox disks on %s (quota bookkeeping inconsistent): rescanning", root)
    try:
        subprocess.run(["btrfs", "quota", "rescan", root], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as e:
        log.error("btrfs quota rescan %s failed: %s; run it by hand", root, e)
    return False
