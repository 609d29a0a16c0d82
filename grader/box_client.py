"""The target driver checks use inside their box (grader.box): every call goes to the broker.

Meets grader.target's protocols, so fixtures, the testinfra back end and the trust guard work
unchanged: the runner hands the boxed pytest a target description naming this module, with
host specs that are just the host names; the broker (grader.broker), outside the box, holds
the real driver and answers for those hosts only.
"""

from __future__ import annotations

import base64
import os
import socket
import threading
from dataclasses import dataclass
from pathlib import Path

from grader.box import BROKER_ENV
from grader.broker import ERRORS, MAX_ANSWER, MAX_PATHS, recv_frame, send_frame

_local = threading.local()


def call(op: str, **args):
    """One request to the broker on this thread's connection; its errors are raised here."""
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(os.environ[BROKER_ENV])
        _local.conn = conn
    send_frame(conn, {"op": op, **args})
    answer = recv_frame(conn, MAX_ANSWER)
    if answer is None:
        raise ConnectionError("the grader's broker closed the connection")
    if "error" in answer:
        kind, message = answer["error"]
        raise ERRORS.get(kind, RuntimeError)(message)
    return answer["ok"]


def host_target(spec: str) -> BrokeredHost:
    return BrokeredHost(spec)


def tool_box(image: str, workdir: Path, env: dict[str, str], scratch: tuple[str, ...] = (),
             caps: tuple[str, ...] = ()) -> BrokeredToolBox:
    return BrokeredToolBox(call("tool_open", image=image, workdir=str(workdir), env=env,
                                scratch=list(scratch), caps=list(caps)))


class BrokeredHost:
    def __init__(self, name: str):
        self.name = name

    def run(self, argv: list[str], env: dict[str, str]) -> tuple[int, bytes, bytes]:
        rc, out, err = call("run", host=self.name, argv=list(argv), env=dict(env))
        return rc, base64.b64decode(out), base64.b64decode(err)

    def is_changed(self, path: str, fresh: bool = True) -> bool:
        return call("is_changed", host=self.name, path=path, fresh=fresh)

    def changed_among(self, paths: list[str]) -> list[str]:
        paths = list(paths)
        return [p for i in range(0, len(paths), MAX_PATHS)
                for p in call("changed_among", host=self.name, paths=paths[i:i + MAX_PATHS])]

    def changed_paths(self) -> list[str]:
        return call("changed_paths", host=self.name)

    def copy_out(self, src: str, dest: Path, limit: int | None = None) -> Path:
        return Path(call("copy_out", host=self.name, src=src, dest=str(Path(dest).resolve()), limit=limit))

    def snapshot(self, src: str, limit: int | None = None) -> dict[str, tuple]:
        return {k: tuple(v) for k, v in call("snapshot", host=self.name, src=src, limit=limit).items()}


@dataclass(frozen=True)
class ToolRun:
    rc: int
    stdout: str
    stderr: str


class BrokeredToolBox:
    def __init__(self, key: str):
        self.key = key

    def run(self, argv: list[str], cwd: Path, timeout: float = 120) -> ToolRun:
        return ToolRun(*call("tool_run", box=self.key, argv=list(argv), cwd=str(Path(cwd).resolve()), timeout=timeout))

    def close(self) -> None:
        call("tool_close", box=self.key)
