"""Grader-side tools in a throwaway container: the grader's own Terraform, judged safely.

A candidate writes the configuration the grader then runs, and Terraform can read files
(`file()`, `templatefile()`) and reach the network (remote state, module sources) while
it plans. So the grader's Terraform never runs on the grader host: it runs in a fresh
container of the project's own image (not the candidate's sandbox) with no network, no
capabilities, a read-only root, and only the grading run's temporary folder mounted.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from grader.backend import _client

EXPIRES_AFTER = 600  # the sandbox reaper removes a tool box a killed grading run left behind


@dataclass(frozen=True)
class ToolResult:
    rc: int
    stdout: str
    stderr: str


class ToolBox:
    def __init__(self, image: str, workdir: Path, env: dict[str, str] | None = None):
        self.workdir = workdir.resolve()
        self.env = {"HOME": "/tmp", "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "LANG": "C.UTF-8", **(env or {})}
        session = f"grader-{secrets.token_hex(5)}"
        self.container = _client().containers.run(
            image, ["sleep", "infinity"], detach=True, init=True, name=f"opslab-{session}-tools",
            network_mode="none", cap_drop=["ALL"], security_opt=["no-new-privileges:true"],
            read_only=True, tmpfs={"/tmp": "size=256m"}, pids_limit=256, mem_limit="1g",
            nano_cpus=1_000_000_000, log_config={"Type": "none", "Config": {}},
            volumes={str(self.workdir): {"bind": str(self.workdir), "mode": "rw"}},
            labels={"opslab.session": session, "opslab.expires": str(int(time.time()) + EXPIRES_AFTER),
                    "opslab.lab": "(grader tools)", "opslab.host": "tools", "opslab.hosts": "tools"})

    def run(self, argv: list[str], cwd: Path, timeout: float = 120) -> ToolResult:
        cwd = Path(cwd).resolve()
        if not cwd.is_relative_to(self.workdir):
            raise ValueError(f"{cwd} is outside the grader's work folder {self.workdir}")
        api = _client().api
        ex = api.exec_create(self.container.id, ["timeout", "-k", "5", str(int(timeout)), *argv],
                             workdir=str(cwd), environment=self.env)
        out, err = api.exec_start(ex["Id"], demux=True)
        rc = api.exec_inspect(ex["Id"])["ExitCode"]
        return ToolResult(rc if rc is not None else -1, (out or b"").decode(errors="replace"),
                          (err or b"").decode(errors="replace"))

    def close(self) -> None:
        self.container.remove(force=True)
