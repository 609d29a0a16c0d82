"""Kept shells (webapp.shells): one writer and many watchers, replay after a reconnect, a
bounded ring that restores terminal modes, and one continuous recording. The shell end is a
socket pair (this test plays the sandbox); the browser end records what it is sent."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest

from webapp import shells
from webapp.recording import Recorder
from webapp.shells import Client, Shell


class Window:
    """A browser's WebSocket as the shell sees it: what was sent, and whether it closed."""

    def __init__(self):
        self.frames: list = []
        self.closed = None
        self.lock = threading.Lock()

    def send(self, data):
        with self.lock:
            self.frames.append(data)

    def close(self, reason=None, message=None):
        self.closed = message

    def states(self):
        with self.lock:
            return [json.loads(f) for f in self.frames if isinstance(f, str)]

    def output(self):
        with self.lock:
            return b"".join(f for f in self.frames if isinstance(f, bytes))


class Tty:
    def __init__(self):
        self.socket, self.sandbox = socket.socketpair()
        self.sizes = []
        self.closed = False

    def resize(self, cols, rows):
        self.sizes.append((cols, rows))

    def close(self):
        self.closed = True
        self.socket.close()
        self.sandbox.close()


def until(what, timeout=3.0):
    end = time.time() + timeout
    while time.time() < end:
        if what():
            return
        time.sleep(0.01)
    raise AssertionError("timed out")


@pytest.fixture
def shell(tmp_path):
    tty = Tty()
    sh = Shell(("s1", "box"), tty, Recorder(tmp_path / "box.cast", 80, 24, "t"), (80, 24))
    yield sh
    sh.end("test over")


def window(shell, owner=True, tab="a", size=(80, 24)):
    ws = Window()
    client = Client(ws, (1, 0), owner, tab, size)
    shell.attach(client)
    return ws, client


def test_the_first_window_writes_and_a_second_watches_until_it_takes_over(shell):
    ws1, c1 = window(shell, tab="a")
    ws2, c2 = window(shell, tab="b")
    until(lambda: ws2.states() and ws1.states()[-1]["windows"] == 2)
    assert ws1.states()[0]["hello"] and ws1.states()[0]["role"] == "writer"  # no read-only flash
    assert ws2.states()[0]["role"] == "watcher"
    assert ws2.states()[-1] == {"role": "watcher", "can_take": True, "writer": True, "windows": 2, "size": [80, 24]}
    shell.input(c2, "watcher keys\n")  # ignored
    shell.input(c1, "ls\n")
    assert shell.tty.sandbox.recv(100) == b"ls\n"
    shell.take(c2)
    until(lambda: ws2.states()[-1]["role"] == "writer" and ws1.states()[-1]["role"] == "watcher")
    assert ws1.closed is None and ws2.closed is None  # nobody is evicted


def test_the_same_tab_coming_back_writes_again_and_an_admin_only_watches(shell):
    ws1, c1 = window(shell, tab="a")
    ws2, c2 = window(shell, tab="a")  # a reload whose old socket is not closed yet
    until(lambda: ws2.states() and ws2.states()[-1]["role"] == "writer")
    admin_ws, admin = window(shell, owner=False, tab="z")
    until(lambda: admin_ws.states())
    shell.take(admin)
    time.sleep(0.05)
    assert admin_ws.states()[-1]["role"] == "watcher" and admin_ws.states()[-1]["can_take"] is False
    assert shell.writer is c2


def test_a_new_window_gets_the_recent_output_and_the_modes_in_force(shell, monkeypatch):
    monkeypatch.setattr(shells, "REPLAY_BYTES", 64)
    window(shell)
    shell.tty.sandbox.sendall(b"\x1b[?1049h\x1b[?2004h" + b"line\n" * 40 + b"vi screen")
    until(lambda: shell.replay().endswith(b"vi screen"))
    ws2, _ = window(shell, tab="b")
    until(lambda: ws2.output())
    out = ws2.output()
    assert out.startswith(b"\x1b[?1049h\x1b[?2004h") or out.startswith(b"\x1b[?2004h\x1b[?1049h")
    assert len(out) < 64 + 40 and out.endswith(b"line\nvi screen")
    assert ws2.states()[0]["hello"] is True
    assert shell.full_screen()


def test_one_recording_per_host_with_a_marker_per_reconnect(shell, tmp_path):
    ws1, c1 = window(shell, tab="a")
    shell.detach(c1)
    window(shell, tab="a")
    shell.tty.sandbox.sendall(b"hello")
    until(lambda: b"hello" in (tmp_path / "box.cast").read_bytes())
    events = [json.loads(line) for line in (tmp_path / "box.cast").read_text().splitlines()[1:]]
    assert [e[2] for e in events if e[1] == "m"] == ["reconnected"]


def test_the_shell_outlives_its_windows_and_ends_once(shell):
    ws1, c1 = window(shell)
    shell.detach(c1)
    assert shell.idle_since is not None and not shell.ended
    ws2, c2 = window(shell)
    shell.end("the lab has ended")
    until(lambda: ws2.closed == "the lab has ended")
    assert shell.tty.closed
    ws3, _ = window(shell)
    until(lambda: ws3.closed == "the lab has ended")


def test_a_shell_takes_a_bounded_number_of_windows(shell):
    windows = [window(shell, tab=str(n))[0] for n in range(shells.MAX_WINDOWS + 1)]
    until(lambda: windows[-1].closed is not None)
    assert "close one" in windows[-1].closed and all(w.closed is None for w in windows[:-1])
