"""The browser terminal: a WebSocket bridged to a TTY shell in the sandbox, recorded.

Client → server: JSON text frames {"i": "<keys>"} or {"r": [cols, rows]}.
Server → client: binary frames of terminal output, as the shell wrote it.
Only the session's owner (and admins) may attach, and only while the session is ready.
"""

from __future__ import annotations

import contextlib
import json
import threading
from pathlib import Path

from flask import current_app, g, request
from flask_sock import Sock
from simple_websocket import ConnectionClosed

from webapp import services
from webapp.db import db
from webapp.models import LabSession, State
from webapp.recording import Recorder

sock = Sock()


def init_app(app) -> None:
    sock.init_app(app)


def recording_path(session_id: str, host: str) -> Path:
    return Path(current_app.config["RECORDINGS_DIR"]) / session_id / f"{host}.cast"


def _size(value: str | None, default: int, top: int) -> int:
    try:
        return max(10, min(top, int(value)))
    except (TypeError, ValueError):
        return default


@sock.route("/sessions/<session_id>/terminal/<host>")
def terminal(ws, session_id: str, host: str):
    ls = db().get(LabSession, session_id)
    if ls is None or not services.can_access(g.user, ls):
        ws.close(reason=1008, message="not your session")
        return
    if ls.state != State.ready:
        ws.close(reason=1008, message=f"the lab is {ls.state.value}")
        return
    hosts = [h.name for h in services.load_lab(ls.lab_id).hosts]
    if host not in hosts:
        ws.close(reason=1008, message="no such host")
        return
    db().close()  # do not hold a database connection for the life of a terminal
    cols, rows = _size(request.args.get("cols"), 80, 500), _size(request.args.get("rows"), 24, 200)
    stream, resize = services.provider().get(session_id).attach_tty(host, cols, rows)
    raw = getattr(stream, "_sock", stream)
    rec = Recorder(recording_path(session_id, host), cols, rows, f"{ls.lab_id} {host}")

    def pump() -> None:  # sandbox → browser
        try:
            while data := raw.recv(65536):
                rec.output(data)
                ws.send(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(ConnectionClosed, OSError):  # the browser may be gone already
                ws.close(reason=1000, message="the shell exited")

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        while True:
            msg = ws.receive()
            if msg is None:
                break
            try:
                event = json.loads(msg)
            except (ValueError, TypeError):
                continue  # ignore frames that are not ours
            if isinstance(event.get("i"), str):
                rec.input(event["i"])
                raw.sendall(event["i"].encode())
            elif isinstance(event.get("r"), list) and len(event["r"]) == 2:
                c, r = _size(event["r"][0], cols, 500), _size(event["r"][1], rows, 200)
                resize(c, r)
                rec.resize(c, r)
    finally:
        try:
            raw.shutdown(2)
        except OSError:
            pass
        raw.close()
        reader.join(timeout=2)
        rec.close()
