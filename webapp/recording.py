"""Terminal recordings as asciicast v2 files (one per session and host), for replay.

The web process keeps one recorder per live shell (webapp.shells), so a reload or a network
drop adds only a `reconnected` marker; a new shell (after a web restart) appends to the same
file after that marker, so a session's recording is one continuous file per host; event times are seconds since the file's header. Recordings hold everything a candidate
typed: files are 0600 and folders 0700.
"""

from __future__ import annotations

import codecs
import json
import os
import threading
import time
from pathlib import Path

from webapp.config import private_dir

MARKER_ROOM = 128  # kept free under each cap, so the "truncated" marker always fits


class Recorder:
    def __init__(self, path: Path, cols: int, rows: int, title: str, max_bytes: int = 50 << 20):
        private_dir(path.parent)
        # A candidate can print without end (`yes`, `cat /dev/urandom`): past `max_bytes` the
        # recording keeps a marker and input, not output, so it cannot fill the host's disk.
        # Input may go a fifth further (more than anyone types), then stops too, so a script
        # pasting into the WebSocket cannot fill it either; reconnects count what is there.
        self._output_cap, self._input_cap = max_bytes, max_bytes + max_bytes // 5
        self._size = path.stat().st_size if path.exists() else 0
        self._marked: dict[str, bool] = {}
        self._lock = threading.Lock()
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        new = not path.exists() or path.stat().st_size == 0
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.fchmod(fd, 0o600)  # also a file recorded before recordings were private
        self._f = os.fdopen(fd, "ab")
        if new:
            self.start = time.time()
            self._write({"version": 2, "width": cols, "height": rows, "timestamp": int(self.start),
                         "title": title, "env": {"TERM": "xterm-256color", "SHELL": "/bin/bash"}})
        else:
            with path.open(encoding="utf-8") as f:
                self.start = json.loads(f.readline())["timestamp"]
            self.marker("reconnected")  # a web process restarted: a new shell, same file
            self.resize(cols, rows)

    @staticmethod
    def _line(obj) -> bytes:
        return (json.dumps(obj, ensure_ascii=False) + "\n").encode()

    def _write(self, obj) -> None:
        with self._lock:
            self._append(self._line(obj))

    def _append(self, line: bytes) -> None:  # with the lock held
        self._f.write(line)
        self._f.flush()
        self._size += len(line)

    def _event(self, kind: str, data: str) -> bytes:
        return self._line([round(time.time() - self.start, 6), kind, data])

    def _capped(self, kind: str, text: str, cap: int, what: str) -> None:
        """Append an event if the file stays under `cap` with room for a marker after it;
        otherwise the marker, once, and nothing more of that stream. The file never grows
        past `cap` (output and input arrive on two threads: one lock covers check and write)."""
        if not text:
            return
        line = self._event(kind, text)
        with self._lock:
            if self._marked.get(what):
                return
            if self._size + len(line) + MARKER_ROOM <= cap:
                self._append(line)
                return
            self._marked[what] = True
            marker = self._event("m", f"recording truncated: {what} limit reached")
            if self._size + len(marker) <= cap:
                self._append(marker)

    def output(self, data: bytes) -> None:
        self._capped("o", self._decoder.decode(data), self._output_cap, "output")

    def input(self, text: str) -> None:
        self._capped("i", text, self._input_cap, "input")

    def marker(self, text: str) -> None:
        """A marker the replay can seek to (a reconnect), counted as input against the cap."""
        self._capped("m", text, self._input_cap, "input")

    def resize(self, cols: int, rows: int) -> None:
        self._capped("r", f"{cols}x{rows}", self._input_cap, "input")

    def close(self) -> None:
        with self._lock:
            self._f.close()
