"""Errors raised by sandbox providers and image builds; each says what to do next."""

from __future__ import annotations


class InfraError(Exception):
    """Something in the sandbox layer failed; the message names the action and the fix."""


class EngineUnavailable(InfraError):
    def __init__(self, detail: str):
        super().__init__(
            "cannot reach the Docker engine "
            f"({detail}). Start it with `make docker` (or `sudo infra/setup/ensure-docker.sh`), "
            "or point DOCKER_HOST at a running engine"
        )


class ImageMissing(InfraError):
    def __init__(self, image: str):
        super().__init__(f"image {image} is not built; run `opslab images build` (or `make images`)")


class SandboxNotFound(InfraError):
    def __init__(self, session: str):
        super().__init__(
            f"no sandbox for session {session!r}; it may have expired or been stopped — "
            "`opslab sandbox list` shows the live ones"
        )


class CommandFailed(InfraError):
    """A command in a sandbox (a setup or solution script) exited non-zero; keeps its output."""

    def __init__(self, action: str, host: str, exit_code: int, output: str):
        self.action, self.host, self.exit_code, self.output = action, host, exit_code, output
        tail = "\n".join(output.rstrip().splitlines()[-15:])
        super().__init__(f"{action} failed on host {host!r} (exit {exit_code}):\n{tail}")


class SandboxDown(InfraError):
    """A host of a sandbox is gone or not running, as the engine says (`down`: host -> what)."""

    def __init__(self, session: str, down: dict[str, str]):
        self.session, self.down = session, down
        what = ", ".join(f"{h} ({why})" for h, why in down.items())
        super().__init__(f"sandbox {session} is broken: host {what} is not running")
