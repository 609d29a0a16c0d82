"""Disk watchdog: end sandboxes that fill their disk where the engine cannot cap it.

overlay2 on ext4 has no per-container quota, so a candidate (or a runaway process) could
fill the host's disk. Where the storage driver caps disk (btrfs, zfs), the engine enforces
the limit and this finds nothing; elsewhere `opslab sandbox reap` (and the web platform's
periodic sweep) calls `enforce_disk_limit` and destroys any sandbox over its limit.
"""

from __future__ import annotations

from grader.lab import parse_size  # one size syntax for lab.yaml and settings
from infra.providers.base import LABEL_SESSION


def sessions_over_limit(client, limit_bytes: int, session: str | None = None) -> dict[str, int]:
    """{session: bytes written} for every sandbox whose containers wrote more than the limit."""
    over: dict[str, int] = {}
    label = f"{LABEL_SESSION}={session}" if session else LABEL_SESSION
    for c in client.api.containers(all=True, size=True, filters={"label": label}):
        used = c.get("SizeRw") or 0
        if used > limit_bytes:
            session = c["Labels"][LABEL_SESSION]
            over[session] = max(over.get(session, 0), used)
    return over


def enforce_disk_limit(provider, limit: str | None = None, session: str | None = None) -> dict[str, int]:
    """Destroy sandboxes over the disk limit (OPSLAB_SANDBOX_DISK); return what was ended."""
    over = sessions_over_limit(provider.client, parse_size(limit or provider.disk_limit), session)
    for session in over:
        provider.get(session).destroy()
    return over
