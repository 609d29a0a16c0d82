"""Disk watchdog: end sandboxes that fill their disk where the engine cannot cap it.

On btrfs (the engine `make run` and `make test` set up) the kernel stops a sandbox's write at
its cap and this finds nothing to do. On overlay2 over ext4 (OPSLAB_DISK_CAP=0, or an engine
opslab did not set up) nothing stops a write: 3 GiB take about 2 s. There `watch` runs every
second (a thread of `opslab platform`, or a process `opslab lab start` leaves behind for CLI
use) and ends any sandbox holding more than its limit, by the provider's one measure
(Provider.disk_usage: allocated blocks, deleted-but-open files, inodes). The sweep
(`opslab sandbox reap`, the platform's periodic sweep) runs the same check as a backstop.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from infra.errors import SandboxNotFound
from infra.providers.base import DiskUsage, Provider, ProviderInfo

INTERVAL = 1.0  # seconds between two looks where the engine cannot cap


def _size(n: int) -> str:
    return f"{n / (1 << 30):.1f} GiB" if n >= 1 << 30 else f"{n >> 20} MiB"


def over_limit(info: ProviderInfo, usage: DiskUsage) -> str | None:
    """Why a sandbox is over its disk limits, in words a person can read; None if it is not."""
    if usage.bytes > info.disk_limit_bytes:
        held = f", {_size(usage.held_deleted)} of it in deleted files still held open" if usage.held_deleted else ""
        return f"it holds {_size(usage.bytes)} on disk{held}, over its limit of {_size(info.disk_limit_bytes)}"
    if info.inode_limit and usage.inodes > info.inode_limit:
        return f"it created more than {info.inode_limit:,} files, its limit"
    return None


def sessions_over_limit(provider: Provider, session: str | None = None) -> dict[str, str]:
    """{session: reason} for every sandbox over the provider's disk limits (none where the
    engine caps disks: the kernel judges there, and the engine's own figure counts a sparse
    file at its full size)."""
    info = provider.info()
    if info.disk_cap_enforced:
        return {}
    reasons = {s: over_limit(info, u) for s, u in provider.disk_usage(session).items()}
    return {s: r for s, r in reasons.items() if r}


def enforce_disk_limit(provider: Provider, session: str | None = None) -> dict[str, str]:
    """Destroy sandboxes over their disk limits; return {session: reason} of those ended."""
    over = sessions_over_limit(provider, session)
    for s in over:
        try:
            provider.get(s).destroy()
        except SandboxNotFound:
            pass
    return over


def watch(provider: Provider, ended: Callable[[str, str], None], stop: threading.Event,
          interval: float = INTERVAL, idle_exit: float | None = None, session: str | None = None,
          log: Callable[[str], None] = lambda s: None) -> None:
    """Check every `interval` seconds until `stop` is set (or, with `idle_exit`, until no
    sandbox has been seen for that long); `ended(session, reason)` hears of each one ended.
    `session` limits it to one sandbox. A look that fails (the engine restarting) is logged
    once per distinct error and retried: the watchdog must outlive a hiccup.
    Does nothing where the engine caps disks itself."""
    if provider.info().disk_cap_enforced:
        return
    last_seen, last_error = time.monotonic(), ""
    while not stop.wait(interval):
        try:
            seen = _look(provider, ended, session)
        except Exception as e:  # noqa: BLE001 -- any engine failure: say so, look again next time
            if str(e) != last_error:
                log(f"disk watchdog: cannot check sandbox disks ({e}); retrying every {interval:g}s")
            last_error = str(e)
            continue
        last_error = ""
        if seen:
            last_seen = time.monotonic()
        elif idle_exit is not None and time.monotonic() - last_seen > idle_exit:
            return


def _look(provider: Provider, ended: Callable[[str, str], None], session: str | None) -> int:
    """One look: end every sandbox over its limits; return how many sandboxes there were."""
    usage = provider.disk_usage(session)
    info = provider.info()
    for s, u in usage.items():
        reason = over_limit(info, u)
        if reason:
            try:
                provider.get(s).destroy()
            except SandboxNotFound:
                continue
            ended(s, reason)
    return len(usage)
