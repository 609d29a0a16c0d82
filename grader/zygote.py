"""A preloaded fork server for grading runs.

Importing pytest, testinfra and the target driver (the Docker client) costs ~0.4 s, more than running a
lab's checks. This process imports them once and forks a fresh child per grading run, so
every run is still its own process (one lab's check modules never meet another's, a
wedged check is killed alone) without paying the imports. It is single-threaded, which is
what makes forking safe, and it exits when its parent closes its stdin.

Protocol on a Unix socket, one connection per run: the client sends one JSON request
{args, env, log, box: {target, lab, scratch, stage}} and closes its side; the child answers
{"pid": N} then {"exit": code}. The child is the run's broker; pytest runs in a box it forks
(grader.box, grader.broker), so the lab's checks never hold what this process holds.
"""

from __future__ import annotations

import importlib
import json
import os
import select
import signal
import socket
import sys
from pathlib import Path

PRELOAD = ["pytest", "_pytest.python", "_pytest.fixtures", "_pytest.assertion.rewrite", "testinfra",
           "testinfra.host", "testinfra.modules", "pytest_timeout", "grader.plugin",
           "grader.backend", "grader.trust", "grader.target", "grader.tools", "grader.box", "grader.broker",
           "grader.box_client", "testinfra.modules.socket", "testinfra.modules.file", "testinfra.modules.command",
           # what pytest's built-in plugins import on every run (pdb, unittest, xml.etree, …)
           "pdb", "unittest", "xml.etree.ElementTree", "faulthandler"]


def _preload(extra: list[str]) -> None:
    from _pytest.config import default_plugins

    for module in PRELOAD + [f"_pytest.{name}" for name in default_plugins] + extra:
        importlib.import_module(module)


def _read_all(conn: socket.socket) -> bytes:
    chunks = []
    while chunk := conn.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _child(conn: socket.socket) -> None:
    """One grading run: this process becomes the run's broker (grader.broker, outside the box,
    holding the target driver) and forks the boxed process that runs pytest (grader.box)."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the broker waits for the box
    req = json.loads(_read_all(conn))
    conn.sendall(json.dumps({"pid": os.getpid()}).encode() + b"\n")
    fd = os.open(req["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    import pytest

    from grader.box import BROKER_ENV, ENV, spawn_boxed
    from grader.broker import Broker

    box = req["box"]
    scratch = Path(box["scratch"])
    broker = Broker(box["target"], scratch, Path(box["stage"]))
    pid = spawn_boxed(lambda: int(pytest.main(req["args"])), Path(box["lab"]), scratch,
                      {**ENV, **req.get("env", {}), BROKER_ENV: broker.sock_path})
    broker.serve_in_background()
    _, status = os.waitpid(pid, 0)
    broker.close()
    code = os.waitstatus_to_exitcode(status)
    sys.stdout.flush()
    sys.stderr.flush()
    conn.sendall(json.dumps({"exit": code}).encode() + b"\n")
    os._exit(0)


def serve(sock_path: str, extra: list[str]) -> None:
    """Preload, then fork a child per connection; `extra` are the target drivers to preload
    (grader.target: named by the caller, so the grader never names a provider)."""
    _preload(extra)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sock_path)
    srv.listen(64)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while True:
        readable, _, _ = select.select([srv, sys.stdin], [], [])
        if sys.stdin in readable and not os.read(sys.stdin.fileno(), 1):
            os._exit(0)  # the parent is gone
        if srv in readable:
            conn, _ = srv.accept()
            if os.fork() == 0:
                srv.close()
                try:
                    _child(conn)
                finally:
                    os._exit(98)
            conn.close()


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2:])
