"""Disk watchdog: end sandboxes that fill their disk where the engine cannot cap it.

overlay2 on ext4 has no per-container quota, so a candidate (or a runaway process) could
fill the host's disk. Where the provider reports the cap as enforced (btrfs, zfs), the
engine stops the write and this finds nothing; elsewhere the engine's sweep (`opslab sandbox
reap`, the web platform's periodic sweep) calls `enforce_disk_limit`, which destroys any
sandbox that wrote more than its limit.
"""

from __future__ import annotations

from infra.providers.base import Provider


def sessions_over_limit(provider: Provider, session: str | None = None) -> dict[str, int]:
    """{session: bytes written} for every sandbox over the provider's disk limit."""
    limit = provider.info().disk_limit_bytes
    return {s: used for s, used in provider.disk_usage(session).items() if used > limit}


def enforce_disk_limit(provider: Provider, session: str | None = None) -> dict[str, int]:
    """Destroy sandboxes over the disk limit; return {session: bytes written} of those ended."""
    over = sessions_over_limit(provider, session)
    for s in over:
        provider.get(s).destroy()
    return over
