"""A testinfra back end over a grader target (grader.target.HostTarget).

Every command a check runs goes through the target's engine (one API call, no CLI fork),
with the grader's fixed environment, after the trust guard has refused any tool in it that
changed since the image. Files are read through the engine too, never through tools inside
the sandbox that a candidate could replace.
"""

from __future__ import annotations

from typing import Any

from testinfra.backend import base
from testinfra.host import Host

from grader.systeminfo import OneExecSystemInfo
from grader.target import HostTarget
from grader.trust import ENV, forged_tool_configs, forged_tools


class TargetBackend(base.BaseBackend):
    NAME = "opslab"

    def __init__(self, name: str, target: HostTarget, *args: Any, **kwargs: Any):
        self.target = target
        self._changed: list[str] | None = None
        super().__init__(name, *args, **kwargs)

    def changed_before_checks(self) -> list[str]:
        """The host's changed paths, listed once per grading run (for tool config files)."""
        if self._changed is None:
            self._changed = self.target.changed_paths()
        return self._changed

    def get_encoding(self) -> str:
        return "utf-8"  # never ask the sandbox's python: the candidate controls it

    def run(self, command: str, *args: str, **kwargs: Any) -> base.CommandResult:
        cmd = self.get_command(command, *args)
        forged = forged_tools(self.target, cmd)
        if forged:
            raise AssertionError(f"the grader cannot trust {forged[0]} on this host: it changed since the host "
                                 "was built; put back the original to be graded")
        configs = forged_tool_configs(self.target, cmd, self.changed_before_checks)
        if configs:
            raise AssertionError(f"the grader cannot trust {configs[0]} on this host: it changes what the "
                                 "grader's tools do; remove it to be graded")
        rc, out, err = self.target.run(["/bin/sh", "-c", cmd], ENV)
        return self.result(rc, self.encode(cmd), out, err)


def get_host(name: str, target: HostTarget) -> Host:
    """A testinfra Host over a target, with the one-exec SystemInfo attached (lazily run)."""
    host = Host(TargetBackend(name, target))
    host.system_info = OneExecSystemInfo.get_module(host)
    return host
