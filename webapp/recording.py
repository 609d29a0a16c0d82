"""Terminal recordings as asciicast v2 files (one per session and host), for replay.

A reconnect appends to the same file, so a session's recording is whole across reloads;
event times are seconds since the file's header.
"""

from __future__ import annotations

import codecs
import json
import threading
import time
from pathlib import Path


class Recorder:
    def __init__(self, path: Path, cols: int, rows: int, title: str, max_bytes: int = 50 << 20):
        path.parent.mkdir(parents=True, exist_ok=True)
        # A candidate can print without end (`yes`, `cat /dev/urandom`): past the cap the
        # recording keeps a marker and input, not output, so it cannot fill the host's disk.
        self._room = max_bytes - (path.stat().st_size if path.exists() else 0)
        self._lock = threading.Lock()
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        new = not path.exists() or path.stat().st_size == 0
        self._f = path.open("a", encoding="utf-8")
        if new:
            self.start = time.time()
            self._write({"version": 2, "width": cols, "height": rows, "timestamp": int(self.start),
                         "title": title, "env": {"TERM": "xterm-256color", "SHELL": "/bin/bash"}})
        else:
            with path.open(encoding="utf-8") as f:
                self.start = json.loads(f.readline())["timestamp"]
            self.resize(cols, rows)

    def _write(self, obj) -> None:
        with self._lock:
            self._f.write(json.dumps(obj, ensure_ascii=False) + "\n")
            self._f.flush()

    def _event(self, kind: str, data: str) -> None:
        self._write([round(time.time() - self.start, 6), kind, data])

    def output(self, data: bytes) -> None:
        text = self._decoder.decode(data)
        if not text or self._room <= 0:
            return
        self._room -= len(text)
        if self._room <= 0:
            self._event("m", "recording truncated: output limit reached")
            return
        self._event("o", text)

    def input(self, text: str) -> None:
        self._event("i", text)

    def resize(self, cols: int, rows: int) -> None:
        self._event("r", f"{cols}x{rows}")

    def close(self) -> None:
        with self._lock:
            self._f.close()
