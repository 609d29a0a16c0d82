"""Shells held by the web process, detached from any WebSocket, so a reload or a network drop
comes back to the same shell (cwd, environment, running programs, an open editor).

One `Shell` per session and host: a TTY exec in the sandbox, its recorder (one continuous
asciicast per host) and a bounded ring of recent output. Browser windows attach as clients:
one **writer** (its keys reach the shell, its size is the shell's) and any number of
**watchers** (read-only). A new client gets a replay of the ring, after the terminal modes in
force where the ring begins (alternate screen, cursor keys, bracketed paste, mouse), so the
screen is drawn again; a full-screen program also gets a resize nudge to redraw itself.

Each client has its own send queue and thread: a slow or vanished browser never stalls the
shell, the recording or the other windows; one that falls too far behind is dropped (it
reconnects and gets a replay). Nothing here touches the database: the terminal module guards
the lab's state and the viewers' log-ins.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable

from simple_websocket import ConnectionClosed

REPLAY_BYTES = 256 << 10    # recent output kept per shell for a replay (the scrollback bound)
CLIENT_BACKLOG = 4 << 20    # bytes a client may fall behind before it is dropped
MAX_WINDOWS = 8             # windows on one shell at once (each holds threads and a backlog)
# DEC private modes a replay restores, with their power-on values.
MODES = {"1": "l", "25": "h", "47": "l", "1047": "l", "1049": "l", "1000": "l", "1002": "l", "1003": "l",
         "1006": "l", "2004": "l"}
ALT_SCREEN = ("47", "1047", "1049")
_MODE_SEQ = re.compile(rb"\x1b\[\?([0-9;]+)([hl])")


def scan_modes(data: bytes, modes: dict[str, str]) -> None:
    """Apply the mode switches found in `data` to `modes` (in place)."""
    for m in _MODE_SEQ.finditer(data):
        for mode in m.group(1).decode().split(";"):
            if mode in MODES:
                modes[mode] = m.group(2).decode()


class Client:
    """One browser window on a shell: its WebSocket, who it is, and its own send thread."""

    def __init__(self, ws, viewer: tuple[int, int], owner: bool, tab: str, size: tuple[int, int]):
        self.ws, self.viewer, self.owner, self.tab, self.size = ws, viewer, owner, tab, size
        self.open = True
        self._queue: deque = deque()
        self._pending = 0
        self._cv = threading.Condition()
        self._thread = threading.Thread(target=self._send_loop, daemon=True, name="terminal-send")
        self._thread.start()

    def send(self, item: bytes | dict) -> None:
        """Queue output (bytes) or a control message (dict); drops the client if it lags."""
        data = item if isinstance(item, bytes) else json.dumps(item)
        with self._cv:
            if not self.open:
                return
            self._queue.append(data)
            self._pending += len(data)
            if self._pending > CLIENT_BACKLOG:
                self._queue.clear()
                self._queue.append(("close", "this window fell behind; reconnecting"))
            self._cv.notify()

    def close(self, message: str) -> None:
        """Close the WebSocket once what is queued has been sent."""
        with self._cv:
            self._queue.append(("close", message))
            self._cv.notify()

    def _send_loop(self) -> None:
        while True:
            with self._cv:
                while not self._queue:
                    self._cv.wait()
                item = self._queue.popleft()
                if not isinstance(item, tuple):
                    self._pending -= len(item)
            try:
                if isinstance(item, tuple):
                    self.ws.close(reason=1000, message=item[1])
                    break
                self.ws.send(item)
            except (ConnectionClosed, OSError):
                break
        with self._cv:
            self.open = False
            self._queue.clear()


class Shell:
    """A TTY shell kept for a session's host, with its clients, ring of output and recorder."""

    def __init__(self, key: tuple[str, str], tty, recorder, size: tuple[int, int],
                 on_end: Callable[[Shell], None] | None = None):
        self.key, self.tty, self.rec, self.size = key, tty, recorder, size
        self.clients: list[Client] = []
        self.writer: Client | None = None
        self.ended: str | None = None
        self.idle_since: float | None = time.monotonic()
        self._ring = bytearray()
        self._start_modes = dict(MODES)   # modes in force where the ring begins
        self._modes = dict(MODES)         # modes in force now
        self._attached_before = False
        self._lock = threading.RLock()
        self._on_end = on_end
        self._pump = threading.Thread(target=self._pump_loop, daemon=True, name="terminal-pump")
        self._pump.start()

    # -- output ------------------------------------------------------------------------------
    def _pump_loop(self) -> None:
        try:
            while data := self.tty.socket.recv(65536):
                self.rec.output(data)
                with self._lock:
                    self._keep(data)
                    for c in self.clients:
                        c.send(data)
        except OSError:
            pass
        self.end("the shell exited")

    def _keep(self, data: bytes) -> None:
        """Append to the ring; past its bound, drop whole lines from the front (a replay then
        starts on a line, not inside an escape sequence), noting the modes they switched."""
        scan_modes(data, self._modes)
        self._ring += data
        over = len(self._ring) - REPLAY_BYTES
        if over > 0:
            cut = self._ring.find(b"\n", over)
            cut = len(self._ring) if cut < 0 else cut + 1
            scan_modes(bytes(self._ring[:cut]), self._start_modes)
            del self._ring[:cut]

    def replay(self) -> bytes:
        """What draws the screen again in a fresh terminal: the ring's starting modes, then the ring."""
        with self._lock:
            prefix = b"".join(f"\x1b[?{m}{v}".encode() for m, v in self._start_modes.items() if v != MODES[m])
            return prefix + bytes(self._ring)

    def full_screen(self) -> bool:
        with self._lock:
            return any(self._modes[m] == "h" for m in ALT_SCREEN)

    # -- clients -----------------------------------------------------------------------------
    def attach(self, client: Client) -> None:
        """Add a window: the writer if none writes, or if it is this browser tab coming back
        (a reload whose old socket is not closed yet); otherwise a watcher. It gets its state,
        then the replay, then the live output, in that order."""
        with self._lock:
            if self.ended:
                client.close(self.ended)
                return
            if len(self.clients) >= MAX_WINDOWS:
                client.close(f"this shell is open in {MAX_WINDOWS} windows already; close one")
                return
            again = self._attached_before
            self._attached_before = True
            self.clients.append(client)
            self.idle_since = None
            writes = client.owner and (self.writer is None or (client.tab and self.writer.tab == client.tab))
            if writes:
                self.writer = client
                if again:
                    self.rec.marker("reconnected")  # a reload or a network drop: counted in reports
            client.send({"hello": True, **self._state(client)})
            client.send(self.replay())
            if writes:
                self._resize(*client.size)
            self._broadcast_state()
        if writes and self.full_screen():
            self._nudge()

    def detach(self, client: Client) -> None:
        with self._lock:
            if client in self.clients:
                self.clients.remove(client)
            if self.writer is client:
                self.writer = None
            if not self.clients:
                self.idle_since = time.monotonic()
            self._broadcast_state()

    def take(self, client: Client) -> None:
        """"Use this window": an owner's watcher becomes the writer; the old writer watches."""
        with self._lock:
            if client.owner and client in self.clients and self.writer is not client:
                self.writer = client
                self._resize(*client.size)
                self._broadcast_state()
        if self.full_screen():
            self._nudge()

    def _state(self, client: Client) -> dict:  # with the lock held
        return {"role": "writer" if client is self.writer else "watcher",
                "can_take": client.owner, "writer": self.writer is not None,
                "windows": len(self.clients), "size": list(self.size)}

    def _broadcast_state(self) -> None:  # with the lock held
        for c in self.clients:
            c.send(self._state(c))

    # -- input -------------------------------------------------------------------------------
    def input(self, client: Client, text: str) -> None:
        """Keys from the writer reach the shell; a watcher's are ignored."""
        if client is not self.writer or self.ended:
            return
        self.rec.input(text)
        with contextlib.suppress(OSError):
            self.tty.socket.sendall(text.encode())

    def resize(self, client: Client, cols: int, rows: int) -> None:
        """Every window reports its size; only the writer's is the shell's."""
        with self._lock:
            client.size = (cols, rows)
            if client is self.writer and self._resize(cols, rows):
                self._broadcast_state()  # watchers follow the shell's size

    def _resize(self, cols: int, rows: int) -> bool:
        """Give the shell this size; whether it changed."""
        if (cols, rows) == self.size or self.ended:
            return False
        self.size = (cols, rows)
        with contextlib.suppress(Exception):  # a sandbox going away: the guard ends the shell
            self.tty.resize(cols, rows)
        self.rec.resize(cols, rows)
        return True

    def _nudge(self) -> None:
        """A full-screen program (vi, less, top) redraws itself on a size change: one row
        less, then back. Output already queued (the replay) reaches the window first."""
        cols, rows = self.size
        with contextlib.suppress(Exception):
            self.tty.resize(cols, max(2, rows - 1))
            time.sleep(0.05)
            self.tty.resize(cols, rows)

    def drop(self, client: Client, message: str) -> None:
        """Close one window (its user logged out); the shell stays."""
        client.close(message)
        self.detach(client)

    def end(self, why: str) -> None:
        """Close every window with `why`, end the shell and the recording (once)."""
        with self._lock:
            if self.ended:
                return
            self.ended = why
            clients, self.clients, self.writer = self.clients, [], None
        for c in clients:
            c.close(why)
        with contextlib.suppress(Exception):
            self.tty.close()
        self.rec.close()
        if self._on_end:
            self._on_end(self)


class Shells:
    """The shells this process holds, by (session, host); one is opened at most once at a time."""

    def __init__(self):
        self._shells: dict[tuple[str, str], Shell] = {}
        self._lock = threading.Lock()
        self._opening: dict[tuple[str, str], threading.Lock] = {}

    def get(self, key: tuple[str, str]) -> Shell | None:
        with self._lock:
            return self._shells.get(key)

    def open(self, key: tuple[str, str], make: Callable[[], Shell]) -> Shell:
        """The live shell for `key`, or a new one from `make()` (called once, outside the lock)."""
        with self._lock:
            gate = self._opening.setdefault(key, threading.Lock())
        with gate:
            shell = self.get(key)
            if shell is not None and not shell.ended:
                return shell
            shell = make()
            with self._lock:
                self._shells[key] = shell
            return shell

    def forget(self, shell: Shell) -> None:
        with self._lock:
            if self._shells.get(shell.key) is shell:
                del self._shells[shell.key]

    def all(self) -> list[Shell]:
        with self._lock:
            return list(self._shells.values())
