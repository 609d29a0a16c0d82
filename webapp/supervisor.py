"""Keep the platform's processes running: each one restarted on its own, with backoff, when
it dies; none outliving the launcher.

- Every child starts in a process group of its own and asks the kernel for SIGTERM when the
  launcher dies (PR_SET_PDEATHSIG), so even a `kill -9` of the launcher leaves no orphan
  holding a port or a queue.
- A child that exits is restarted after 1 s, doubling to 30 s while it keeps failing; a run
  of a minute resets the delay. Before a restart its whole group is killed (a gunicorn worker
  whose master died would otherwise keep the port for half a minute), and a process that
  listens on a port waits until the port is free.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

PR_SET_PDEATHSIG = 1
BACKOFF_FIRST, BACKOFF_MAX, HEALTHY_AFTER = 1.0, 30.0, 60.0


def _die_with_parent() -> None:  # runs in the child between fork and exec
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.3):
            return True
    except OSError:
        return False


@dataclass
class Child:
    name: str
    cmd: list[str]
    log: Path
    env: dict[str, str] | None = None
    cwd: Path | None = None
    port: tuple[str, int] | None = None   # (host, port) it listens on, if any
    open_log: Callable[[Path], object] = lambda p: open(p, "ab")  # noqa: E731
    proc: subprocess.Popen | None = None
    started: float = 0.0
    delay: float = BACKOFF_FIRST
    due: float = 0.0           # when a restart is due (0: none pending)
    restarts: int = 0
    notes: list[str] = field(default_factory=list)

    def start(self) -> None:
        self.proc = subprocess.Popen(self.cmd, env=self.env, cwd=self.cwd, start_new_session=True,
                                     preexec_fn=_die_with_parent, stdout=self.open_log(self.log),
                                     stderr=subprocess.STDOUT)
        self.started, self.due = time.monotonic(), 0.0

    def kill_group(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass


class Supervisor:
    def __init__(self, say: Callable[[str], None] = lambda m: print(m, file=sys.stderr, flush=True)):
        self.children: list[Child] = []
        self.say = say

    def add(self, child: Child, start: bool = True) -> Child:
        self.children.append(child)
        if start:
            child.start()
        return child

    def tend(self) -> None:
        """One round: notice exits, schedule restarts with backoff, start what is due."""
        now = time.monotonic()
        for c in self.children:
            if c.proc is not None and c.proc.poll() is not None and not c.due:
                code = c.proc.returncode
                c.kill_group()  # whatever it left behind in its group goes too
                if now - c.started > HEALTHY_AFTER:
                    c.delay = BACKOFF_FIRST
                c.due = now + c.delay
                self.say(f"{c.name} exited ({code}); restarting in {c.delay:.0f} s (log: {c.log})")
                c.delay = min(BACKOFF_MAX, c.delay * 2)
            if c.due and now >= c.due:
                if c.port and port_open(*c.port):
                    c.due = now + 0.5  # an orphan still holds the port: wait for it to go
                    continue
                c.restarts += 1
                c.start()
                self.say(f"{c.name} restarted")

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM every group, then SIGKILL what is still there after `grace` seconds."""
        for c in self.children:
            if c.proc is not None and c.proc.poll() is None:
                c.kill_group(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for c in self.children:
            if c.proc is None:
                continue
            try:
                c.proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            c.kill_group(signal.SIGKILL)
