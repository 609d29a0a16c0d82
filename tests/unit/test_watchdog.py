"""The disk watchdog's judgement, in words a person can read."""

from __future__ import annotations

from infra.providers.base import DiskUsage, ProviderInfo
from infra.watchdog import over_limit

INFO = ProviderInfo(name="docker", runtime="runc", disk_cap_enforced=False, disk_limit_bytes=64 << 20, max_hosts=8,
                    local=True, target_driver="x", inode_limit=20_000)


def test_a_sandbox_within_its_limits_is_left_alone():
    assert over_limit(INFO, DiskUsage(64 << 20, 20_000)) is None


def test_bytes_over_the_limit_are_named_with_the_limit():
    assert over_limit(INFO, DiskUsage(3 << 30)) == "it holds 3.0 GiB on disk, over its limit of 64 MiB"


def test_deleted_files_held_open_are_named():
    reason = over_limit(INFO, DiskUsage(100 << 20, 3, held_deleted=100 << 20))
    assert reason == "it holds 100 MiB on disk, 100 MiB of it in deleted files still held open, over its limit of 64 MiB"


def test_too_many_files_is_a_reason_of_its_own():
    assert over_limit(INFO, DiskUsage(1 << 20, 100_000)) == "it created more than 20,000 files, its limit"


def test_no_inode_limit_means_none():
    info = ProviderInfo(**{**INFO.__dict__, "inode_limit": 0})
    assert over_limit(info, DiskUsage(1 << 20, 10**7)) is None
