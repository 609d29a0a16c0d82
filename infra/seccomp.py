"""The seccomp profile of sandboxes: Docker's default, minus btrfs subvolumes and io_uring.

btrfs caps a container's disk with a quota on its subvolume, but any root user may make a
nested subvolume (BTRFS_IOC_SUBVOL_CREATE, an ioctl that needs no capability) whose writes
that quota does not count. So sandboxes run under the engine's own default profile, shipped
in Debian's golang-github-docker-docker-dev for the same docker.io version and put in place by
infra/setup/ensure-docker.sh, with `ioctl` allowed for every request but btrfs's volume ioctls
(_IOW(0x94, 1..24, struct btrfs_ioctl_vol_args): create, snapshot, resize, device add, ...).

seccomp compares all 64 bits of the request while the kernel reads the low 32, so the allowed
requests are spelled out as aligned blocks whose upper half must be zero (or all ones: a
negative int sign-extended by the caller), never as "anything but", which high bits would get past.

io_uring is refused too, as Docker's own default has done since 25.0 (moby#46762, after Google's
kCTF found most of its container escapes there): the engine here (20.10) still allows it, and no
lab needs it.

32-bit system calls (the x86 and x32 sub-architectures, `int 0x80`) are refused as well: no
lab runs a 32-bit program, the compat entry points have been a steady source of kernel bugs,
and each architecture the profile names is compiled into the filter again by runc on every
container start and every `docker exec` (a check's command): x86_64 alone takes ~35 ms of CPU
an exec instead of ~45 ms here.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from pathlib import Path

DEFAULT_PROFILE = Path(os.environ.get("OPSLAB_SECCOMP_DEFAULT", "/usr/local/share/opslab/docker-seccomp-default.json"))
BTRFS_VOL_IOCTLS = (0x50009401, 0x50009418)  # _IOW(0x94, nr, 4096-byte args) for nr 1..24
REFUSED = {"io_uring_setup", "io_uring_enter", "io_uring_register"}
LOW32 = 0xFFFFFFFF


def _blocks(start: int, end: int) -> list[tuple[int, int]]:
    """[start, end] as aligned power-of-two blocks: (first value, size)."""
    out = []
    while start <= end:
        size = start & -start if start else 1 << 32
        while size > end - start + 1:
            size >>= 1
        out.append((start, size))
        start += size
    return out


def _ioctl_rules() -> list[dict]:
    lo, hi = BTRFS_VOL_IOCTLS
    allowed = _blocks(0, lo - 1) + _blocks(hi + 1, LOW32)
    rules = [{"value": start, "mask": (~(size - 1)) & 0xFFFFFFFFFFFFFFFF} for start, size in allowed]
    rules.append({"value": 0xFFFFFFFF80000000, "mask": 0xFFFFFFFF80000000})  # sign-extended, > 0x7fffffff
    return [{"names": ["ioctl"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 1, "value": r["mask"], "valueTwo": r["value"], "op": "SCMP_CMP_MASKED_EQ"}],
             "comment": "ioctl, but not btrfs volume ioctls (opslab: nested subvolumes escape the disk cap)",
             "includes": {}, "excludes": {}} for r in rules]


@functools.cache
def sandbox_profile() -> str | None:
    """The profile as the JSON the Engine API takes (`seccomp=<json>`), or None when the
    engine's default profile is not installed here (infra/setup/ensure-docker.sh installs it)."""
    try:
        profile = json.loads(DEFAULT_PROFILE.read_text())
    except (OSError, ValueError):
        return None
    profile = copy.deepcopy(profile)
    for rule in profile["syscalls"]:
        if rule.get("action") == "SCMP_ACT_ALLOW":
            rule["names"] = [n for n in rule["names"] if n not in REFUSED]
        if "ioctl" in rule["names"] and not rule.get("args"):
            rule["names"] = [n for n in rule["names"] if n != "ioctl"]
    profile["syscalls"] = [r for r in profile["syscalls"] if r["names"]]
    profile["syscalls"] += _ioctl_rules()
    for arch in profile.get("archMap") or []:
        arch["subArchitectures"] = []  # native system calls only: no 32-bit compat entry
    return json.dumps(profile, separators=(",", ":"))
