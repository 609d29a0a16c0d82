"""The broker: the one way out of a grading run's box (grader.box), answering for its hosts only.

The boxed checks reach the session's hosts and the grader's check tools through this small
protocol, served by the run's own process outside the box, which holds the real target
driver (grader.target: the Docker Engine API). It answers for the hosts of this run's
target description and for the tools of the registry (grader.tools) as registered, nothing
else: no other container, no image, capability or mount a check names itself. Whatever the
box sends is data (JSON); nothing it sends is unpickled, evaluated or used as a host path
outside its scratch folder.

Frames on a Unix stream socket: a 4-byte big-endian length, then JSON. A request is
{"op": name, ...arguments}; the answer is {"ok": value} or {"error": [type, message]}.
Bytes travel as base64. One connection per client thread; one thread per connection here.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import socket
import struct
import sys
import tempfile
import threading
from pathlib import Path

from grader.target import load_driver
from grader.tools import CHECK_TOOLS

MAX_REQUEST = 1 << 20    # a request carries a command line or a path, never file contents
MAX_ANSWER = 256 << 20   # an answer may carry a command's output
MAX_TOOL_TIMEOUT = 600
MAX_COPY = 256 << 20     # the most one copy or snapshot may read, whatever a check asks
MAX_CONNECTIONS = 32     # one per check thread is plenty
TOOL_OPEN_WAIT = 60      # seconds the end of a run waits for a tool box still starting
MAX_PATHS = 2048         # paths in one changed_among question (2048 tool paths of ≤ 270 bytes < MAX_REQUEST)
ERRORS = {"FileNotFoundError": FileNotFoundError, "ValueError": ValueError, "PermissionError": PermissionError,
          "KeyError": KeyError, "TimeoutError": TimeoutError}


def send_frame(sock: socket.socket, obj) -> None:
    data = json.dumps(obj).encode()
    sock.sendall(struct.pack(">I", len(data)) + data)


def recv_frame(sock: socket.socket, limit: int):
    head = _recv_exactly(sock, 4)
    if head is None:
        return None
    (size,) = struct.unpack(">I", head)
    if size > limit:
        raise ValueError(f"a broker frame of {size} bytes is over the {limit}-byte limit")
    body = _recv_exactly(sock, size)
    if body is None:
        raise ConnectionError("the broker connection closed mid-frame")
    return json.loads(body)


def _recv_exactly(sock: socket.socket, size: int) -> bytes | None:
    chunks, got = [], 0
    while got < size:
        chunk = sock.recv(min(size - got, 1 << 20))
        if not chunk:
            return None if got == 0 else b""
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _under(path: str, root: Path) -> bool:
    p = os.path.normpath(path)
    return os.path.isabs(p) and (p == str(root) or p.startswith(str(root) + "/"))


class Broker:
    """Serves one grading run: `target` is the engine's description (driver + host specs),
    `scratch` the box's read-write folder (the only place files are written for it), `stage`
    a private folder beside it the box cannot see (copies are made there, then moved in)."""

    def __init__(self, target: dict, scratch: Path, stage: Path):
        self.target, self.scratch, self.stage = target, scratch.resolve(), stage.resolve()
        self.driver = None
        self._hosts: dict = {}
        self._boxes: dict = {}
        self._lock = threading.Lock()
        # tool boxes being made: close() waits for them, so none is made after the run's
        # boxes were removed (and left behind: a check timed out while its box was starting)
        self._opening = 0
        self._opened = threading.Condition(self._lock)
        self._closed = False
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self.sock_path = str(self.scratch / "broker.sock")
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(self.sock_path)
        self._server.listen(16)

    def fileno(self) -> int:
        return self._server.fileno()

    def serve_in_background(self) -> None:
        threading.Thread(target=self._accept, name="opslab-broker", daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return  # closed
            if not self._slots.acquire(blocking=False):
                conn.close()  # more connections than checks could need: refused
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            self._answer(conn)
        finally:
            self._slots.release()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            while True:
                try:
                    req = recv_frame(conn, MAX_REQUEST)
                except (ValueError, ConnectionError, OSError):
                    return
                if req is None:
                    return
                try:
                    answer = {"ok": self._dispatch(req)}
                except Exception as e:  # noqa: BLE001 - every failure goes back to the check as an error
                    name = type(e).__name__
                    answer = {"error": [name if name in ERRORS else "RuntimeError", str(e)[:4000]]}
                try:
                    send_frame(conn, answer)
                except OSError:
                    return

    def close(self) -> None:
        """Stop answering and remove the tool boxes the run left open."""
        try:
            self._server.close()
        except OSError:
            pass
        with self._lock:
            self._closed = True
            self._opened.wait_for(lambda: self._opening == 0, timeout=TOOL_OPEN_WAIT)
            boxes, self._boxes = list(self._boxes.values()), {}
        for box in boxes:
            try:
                box.close()
            except Exception as e:  # noqa: BLE001 - the reaper removes what could not be removed here
                print(f"opslab broker: a tool box was left for the reaper: {e}", file=sys.stderr)

    # -- operations -------------------------------------------------------------------------

    def _dispatch(self, req: dict):
        if not isinstance(req, dict):
            raise ValueError("a broker request is a JSON object")
        op = req.get("op")
        handler = getattr(self, f"op_{op}", None) if isinstance(op, str) and op.isidentifier() else None
        if handler is None:
            raise ValueError(f"the broker does not know {op!r}")
        return handler(req)

    def _host(self, req: dict):
        name = req.get("host")
        if not isinstance(name, str) or name not in self.target.get("hosts", {}):
            raise KeyError(f"no host {name!r} in this lab; hosts: {', '.join(self.target.get('hosts', {}))}")
        with self._lock:
            if self.driver is None:
                self.driver = load_driver(self.target)
            if name not in self._hosts:
                self._hosts[name] = self.driver.host_target(self.target["hosts"][name])
            return self._hosts[name]

    def op_hosts(self, req: dict) -> list[str]:
        return list(self.target.get("hosts", {}))

    def op_run(self, req: dict) -> list:
        argv, env = req.get("argv"), req.get("env") or {}
        if not (isinstance(argv, list) and argv and all(isinstance(a, str) for a in argv)):
            raise ValueError("argv must be a non-empty list of strings")
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in env.items()):
            raise ValueError("env must map strings to strings")
        rc, out, err = self._host(req).run(argv, env)
        return [rc, base64.b64encode(out).decode(), base64.b64encode(err).decode()]

    def op_is_changed(self, req: dict) -> bool:
        return bool(self._host(req).is_changed(_path(req, "path"), fresh=bool(req.get("fresh", True))))

    def op_changed_among(self, req: dict) -> list[str]:
        paths = req.get("paths")
        if not isinstance(paths, list) or len(paths) > MAX_PATHS:
            raise ValueError(f"paths must be a list of at most {MAX_PATHS} absolute paths")
        host = self._host(req)
        return [p for p in paths if host.is_changed(_path({"p": p}, "p"), fresh=False)]

    def op_changed_paths(self, req: dict) -> list[str]:
        return list(self._host(req).changed_paths())

    def op_snapshot(self, req: dict) -> dict:
        return self._host(req).snapshot(_path(req, "src"), _limit(req))

    def op_copy_out(self, req: dict) -> str:
        """Copy into a private folder, then move the copy into `dest`, a folder of the box's
        scratch space opened once (so no link the box planted redirects the write)."""
        host, src, dest = self._host(req), _path(req, "src"), _path(req, "dest")
        fd = os.open(dest, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        try:
            if not _under(os.readlink(f"/proc/self/fd/{fd}"), self.scratch):
                raise PermissionError(f"{dest} is outside the run's scratch folder")
            staging = Path(tempfile.mkdtemp(dir=self.stage))
            copied = host.copy_out(src, staging, _limit(req))
            os.rename(copied, copied.name, dst_dir_fd=fd)
            os.rmdir(staging)
            return os.path.join(dest, copied.name)
        finally:
            os.close(fd)

    def op_tool_open(self, req: dict) -> str:
        """A tool box exactly as the registry (grader.tools) describes one of its tools, over
        the scratch folder; `workdir` (where the tool's files were written) must be in it."""
        image, workdir = req.get("image"), _path(req, "workdir")
        scratch_dirs, caps, env = tuple(req.get("scratch") or ()), tuple(req.get("caps") or ()), req.get("env") or {}
        if not _under(workdir, self.scratch):
            raise PermissionError(f"{workdir} is outside the run's scratch folder")
        for tool in CHECK_TOOLS.values():
            wanted = {k: v.replace("{workdir}", workdir) for k, v in tool.env.items()}
            if (tool.image, tool.scratch, tool.caps, wanted) == (image, scratch_dirs, caps, env):
                break
        else:
            raise PermissionError(f"no registered check tool runs in {image!r} that way (grader.tools)")
        with self._lock:
            if self._closed:
                raise ConnectionError("the grading run is over")
            if self.driver is None:
                self.driver = load_driver(self.target)
            self._opening += 1
        box, key = None, secrets.token_hex(8)
        try:
            box = self.driver.tool_box(image, self.scratch, env, scratch_dirs, caps)
        finally:
            with self._lock:  # registered before close() can see the count drop
                self._opening -= 1
                if box is not None:
                    self._boxes[key] = box
                self._opened.notify_all()
        return key

    def op_tool_run(self, req: dict) -> list:
        box = self._boxes.get(req.get("box"))
        if box is None:
            raise KeyError("no such tool box in this run")
        argv, cwd = req.get("argv"), _path(req, "cwd")
        if not (isinstance(argv, list) and argv and all(isinstance(a, str) for a in argv)):
            raise ValueError("argv must be a non-empty list of strings")
        if not _under(cwd, self.scratch):
            raise PermissionError(f"{cwd} is outside the run's scratch folder")
        timeout = min(float(req.get("timeout") or 120), MAX_TOOL_TIMEOUT)
        result = box.run(argv, Path(cwd), timeout=timeout)
        return [result.rc, result.stdout, result.stderr]

    def op_tool_close(self, req: dict) -> None:
        with self._lock:
            box = self._boxes.pop(req.get("box"), None)
        if box is not None:
            box.close()


def _path(req: dict, key: str) -> str:
    value = req.get(key)
    if not isinstance(value, str) or not value.startswith("/") or "\0" in value:
        raise ValueError(f"{key} must be an absolute path")
    return value


def _limit(req: dict) -> int | None:
    limit = req.get("limit")
    return min(limit, MAX_COPY) if isinstance(limit, int) and limit > 0 else None
