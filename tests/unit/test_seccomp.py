"""The sandbox seccomp profile: the engine's default without io_uring or btrfs volume ioctls."""

from __future__ import annotations

import json

import pytest

from infra import seccomp

ENGINE_DEFAULT = {
    "defaultAction": "SCMP_ACT_ERRNO",
    "syscalls": [
        {"names": ["read", "ioctl", "io_uring_setup", "io_uring_enter", "io_uring_register"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["io_uring_setup"], "action": "SCMP_ACT_ERRNO"},
    ],
}


@pytest.fixture
def profile(tmp_path, monkeypatch):
    path = tmp_path / "default.json"
    path.write_text(json.dumps(ENGINE_DEFAULT))
    monkeypatch.setattr(seccomp, "DEFAULT_PROFILE", path)
    seccomp.sandbox_profile.cache_clear()
    yield json.loads(seccomp.sandbox_profile())
    seccomp.sandbox_profile.cache_clear()


def allowed(profile) -> set[str]:
    return {n for r in profile["syscalls"] if r["action"] == "SCMP_ACT_ALLOW" and not r.get("args") for n in r["names"]}


def test_io_uring_is_not_allowed(profile):
    assert allowed(profile) == {"read"}
    assert {"names": ["io_uring_setup"], "action": "SCMP_ACT_ERRNO"} in profile["syscalls"]


def test_ioctl_is_allowed_but_for_btrfs_volume_requests(profile):
    rules = [r["args"][0] for r in profile["syscalls"] if r["names"] == ["ioctl"]]
    assert rules, "ioctl is allowed through masked rules"

    def passes(request: int) -> bool:
        return any(request & a["value"] == a["valueTwo"] for a in rules)

    assert passes(0x5401) and passes(0x40049409)  # TCGETS; BTRFS_IOC_CLONE (not a volume ioctl)
    for nr in (1, 14, 24):  # device add, subvolume create, subvolume create v2
        assert not passes(0x50009400 + nr)
        assert not passes(0xFFFFFFFF00000000 | (0x50009400 + nr))  # high bits the kernel ignores


def test_no_profile_when_the_engine_default_is_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(seccomp, "DEFAULT_PROFILE", tmp_path / "absent.json")
    seccomp.sandbox_profile.cache_clear()
    try:
        assert seccomp.sandbox_profile() is None
    finally:
        seccomp.sandbox_profile.cache_clear()
