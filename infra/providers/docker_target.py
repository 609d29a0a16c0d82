"""The grader's target driver for Docker sandboxes (meets grader.target's protocols).

A grading run imports this module by name (the target description's "driver") and reaches
each host through the Docker Engine API: one HTTP connection per run (~5–10 ms a command,
where the docker CLI forks for ~50–100 ms), files copied out as capped tar streams, and
"changed since the image" read from the container's storage, which a candidate cannot forge.
Tool boxes for the grader's own tools are throwaway containers of the project's images.
"""

from __future__ import annotations

import functools
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors

from infra.archive import COPY_LIMIT, extract_archive, snapshot_archive
from infra.providers.base import SandboxSpec
from infra.providers.docker_layers import BtrfsLayers, OverlayLayers, local_layers

TOOLBOX_TTL = 600  # the reaper removes a tool box that a killed grading run left behind


@functools.cache
def _client() -> docker.DockerClient:
    return docker.from_env(timeout=120)


def host_target(spec: str) -> DockerHostTarget:
    """A host by its target spec: `docker://<container name>`."""
    return DockerHostTarget(spec.removeprefix("docker://"))


def tool_box(image: str, workdir: Path, env: dict[str, str], scratch: tuple[str, ...] = (),
             caps: tuple[str, ...] = ()) -> DockerToolBox:
    return DockerToolBox(image, workdir, env, scratch, caps)


class DockerHostTarget:
    def __init__(self, container: str):
        self.container = container
        self._runs, self._diff_cache = 0, None

    def run(self, argv: list[str], env: dict[str, str]) -> tuple[int, bytes, bytes]:
        api = _client().api
        ex = api.exec_create(self.container, argv, environment=env, user="root", workdir="/")
        out, err = api.exec_start(ex["Id"], demux=True)
        rc = api.exec_inspect(ex["Id"])["ExitCode"]
        self._runs += 1
        return (rc if rc is not None else -1), out or b"", err or b""

    def is_changed(self, path: str, fresh: bool = True) -> bool:
        """On the engine's own machine (overlay2 or btrfs) this reads the container's storage
        (infra.providers.docker_layers: microseconds, exact, a file put back byte for byte is
        not a change). Otherwise it asks the engine's diff API (a few hundred ms): fetched
        again after a command ran when `fresh`, else whatever was fetched last."""
        layers = self._layers
        return path in self._diff(fresh) if layers is None else layers.is_changed(path)

    @functools.cached_property
    def _layers(self) -> OverlayLayers | BtrfsLayers | None:
        return local_layers(_client(), _client().api.inspect_container(self.container))

    def changed_paths(self) -> list[str]:
        layers = self._layers
        return sorted(self._diff(fresh=True)) if layers is None else layers.changed_paths()

    def _diff(self, fresh: bool) -> set[str]:
        """The engine's diff: fetched once, then again only if `fresh` and a command ran since."""
        if self._diff_cache is None or (fresh and self._diff_cache[0] < self._runs):
            self._diff_cache = (self._runs, {c["Path"] for c in (_client().api.diff(self.container) or [])})
        return self._diff_cache[1]

    def copy_out(self, src: str, dest: Path, limit: int | None = None) -> Path:
        try:
            stream, _ = _client().api.get_archive(self.container, src)
        except docker.errors.NotFound:
            raise FileNotFoundError(f"{src} does not exist in the sandbox") from None
        extract_archive(stream, dest, limit or COPY_LIMIT, src=src)
        return dest / Path(src.rstrip("/")).name

    def snapshot(self, src: str, limit: int | None = None) -> dict[str, tuple]:
        try:
            stream, _ = _client().api.get_archive(self.container, src)
        except docker.errors.NotFound:
            return {}
        return snapshot_archive(stream, str(Path(src.rstrip("/") or "/").parent), limit or COPY_LIMIT)


@dataclass(frozen=True)
class ToolRun:
    """A tool's outcome (meets grader.target.ToolResult)."""

    rc: int
    stdout: str
    stderr: str


class DockerToolBox:
    """A fresh container of a project image for one grading run's tool: no network, no
    capabilities, a read-only root, and only the run's temporary folder mounted, so what a
    candidate wrote (a Terraform `file()`, a remote state, a rules file) can neither read the
    grader host's files nor reach anything. A tool that must write where its program insists
    (nginx -t opens its pid and log files) gets empty tmpfs folders there (`scratch`), and the
    few capabilities it names (`caps`)."""

    def __init__(self, image: str, workdir: Path, env: dict[str, str] | None = None,
                 scratch: tuple[str, ...] = (), caps: tuple[str, ...] = ()):
        self.workdir = workdir.resolve()
        self.env = {"HOME": "/tmp", "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "LANG": "C.UTF-8", **(env or {})}
        spec = SandboxSpec(session=f"grader-{secrets.token_hex(5)}", lab="(grader tools)", lab_version="",
                           hosts=(), ttl_seconds=TOOLBOX_TTL)
        labels = {**spec.labels(time.time()), "opslab.host": "tools", "opslab.hosts": "tools"}
        self.container = _client().containers.run(
            image, ["sleep", "infinity"], detach=True, init=True, name=f"opslab-{spec.session}-tools",
            network_mode="none", cap_drop=["ALL"], cap_add=list(caps) or None,
            security_opt=["no-new-privileges:true"], read_only=True,
            tmpfs={"/tmp": "size=256m", **{p: "size=16m,noexec,nosuid,nodev" for p in scratch}},
            pids_limit=256, mem_limit="1g", nano_cpus=1_000_000_000, log_config={"Type": "none", "Config": {}},
            volumes={str(self.workdir): {"bind": str(self.workdir), "mode": "rw"}}, labels=labels)

    def run(self, argv: list[str], cwd: Path, timeout: float = 120) -> ToolRun:
        cwd = Path(cwd).resolve()
        if not cwd.is_relative_to(self.workdir):
            raise ValueError(f"{cwd} is outside the grader's work folder {self.workdir}")
        api = _client().api
        ex = api.exec_create(self.container.id, ["timeout", "-k", "5", str(int(timeout)), *argv],
                             workdir=str(cwd), environment=self.env)
        out, err = api.exec_start(ex["Id"], demux=True)
        rc = api.exec_inspect(ex["Id"])["ExitCode"]
        return ToolRun(rc if rc is not None else -1, (out or b"").decode(errors="replace"),
                       (err or b"").decode(errors="replace"))

    def close(self) -> None:
        self.container.remove(force=True)
