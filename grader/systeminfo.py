"""testinfra's SystemInfo from one command instead of three (each exec costs engine time)."""

from __future__ import annotations

import functools

from testinfra.modules.systeminfo import SystemInfo


class OneExecSystemInfo(SystemInfo):
    """testinfra's SystemInfo from one command instead of three (uname -s, os-release, uname -m).

    Many modules (host.file, host.package, …) ask for it first; each exec costs ~50 ms of
    engine time, a good share of a whole grading run.
    """

    @functools.cached_property
    def sysinfo(self) -> dict:
        out = self.check_output("uname -s; uname -m; cat /etc/os-release 2>/dev/null || true").splitlines()
        info = {"type": out[0].strip().lower(), "arch": out[1].strip() if len(out) > 1 else None,
                "distribution": None, "codename": None, "release": None}
        keys = {"ID": "distribution", "VERSION_ID": "release", "VERSION_CODENAME": "codename"}
        for line in out[2:]:
            key, _, value = line.partition("=")
            if key in keys:
                info[keys[key]] = value.strip().strip("\"'")
        return info
