"""The browser terminal: a WebSocket bridged to a TTY shell in the sandbox, recorded.

Client → server: JSON text frames {"i": "<keys>"} or {"r": [cols, rows]}.
Server → client: binary frames of terminal output, as the shell wrote it.
Only the session's owner (and admins) may attach, from this site's own pages, and only
while the session is ready; a guard ends the shell when the session stops or expires, or
when the user logs out or changes password. A handshake whose Origin is not this site
(scheme, host and port, as the trusted proxies report them) or has none is answered 403
before any upgrade: another site's page must not reach a shell with the user's cookie.
One live terminal per session and host: opening it again (another tab) closes the older.
"""

from __future__ import annotations

import contextlib
import json
import threading
from pathlib import Path
from urllib.parse import urlsplit

from flask import Response, current_app, g, request
from flask_sock import Sock
from simple_websocket import ConnectionClosed

from opslab import engine
from webapp import services
from webapp.db import db, session_scope
from webapp.models import LabSession, State, User
from webapp.recording import Recorder

sock = Sock()
GUARD_INTERVAL = 3.0  # seconds between checks that the session is still ready
_live: dict[tuple[str, str], object] = {}  # (session, host) -> the live WebSocket (per process)
_live_lock = threading.Lock()


def init_app(app) -> None:
    sock.init_app(app)
    app.before_request(refuse_foreign_origin)


def recording_path(session_id: str, host: str) -> Path:
    return Path(current_app.config["RECORDINGS_DIR"]) / session_id / f"{host}.cast"


def _size(value, default: int, top: int) -> int:
    try:
        return max(10, min(top, int(value)))
    except (TypeError, ValueError, OverflowError):
        return default


DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin_of(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) origin, or None for anything else ("null", junk)."""
    try:
        u = urlsplit(url)
        port = u.port or DEFAULT_PORTS.get(u.scheme)
    except ValueError:
        return None
    if u.scheme not in DEFAULT_PORTS or not u.hostname or u.path not in ("", "/") or u.query or u.username:
        return None
    return u.scheme, u.hostname, port


def same_origin() -> bool:
    """Whether the request's Origin is exactly this site: same scheme, host and port as the
    request (behind OPSLAB_TRUSTED_PROXIES the scheme is the one the proxy saw). No Origin
    is a refusal: browsers always send one on a WebSocket handshake."""
    origin = request.headers.get("Origin")
    if not origin:
        return False
    theirs = _origin_of(origin)
    ours = _origin_of(f"{request.scheme}://{request.host}")
    return theirs is not None and theirs == ours


def refuse_foreign_origin():
    """Before any WebSocket route runs (and so before the upgrade): 403 for another origin."""
    rule = request.url_rule
    if rule is not None and getattr(rule, "websocket", False) and not same_origin():
        return Response("refused: this terminal opens only from this site's own pages\n", 403,
                        mimetype="text/plain")
    return None


def _why_over(app, session_id: str, user_id: int, version: int) -> str | None:
    """Why this terminal must close now (the lab ended; the user logged out), or None."""
    with session_scope(app) as s:
        ls = s.get(LabSession, session_id)
        if not (ls and ls.state == State.ready
                and (ls.deadline is None or services.aware(ls.deadline) > services.utcnow())):
            return "the lab has ended"
        user = s.get(User, user_id)
        if user is None or user.session_version != version:
            return "you logged out (or your password changed); log in again"
        return None


def _claim(key: tuple[str, str], ws) -> None:
    with _live_lock:
        older = _live.get(key)
        _live[key] = ws
    if older is not None:
        with contextlib.suppress(ConnectionClosed, OSError):
            older.close(reason=1000, message="this terminal was opened in another window")


def _release(key: tuple[str, str], ws) -> None:
    with _live_lock:
        if _live.get(key) is ws:
            del _live[key]


@sock.route("/sessions/<session_id>/terminal/<host>")
def terminal(ws, session_id: str, host: str):
    ls = db().get(LabSession, session_id)
    if ls is None or not services.can_access(g.user, ls):  # the Origin was checked before the upgrade
        ws.close(reason=1008, message="not your session")
        return
    if ls.state != State.ready:
        ws.close(reason=1008, message=f"the lab is {ls.state.value}")
        return
    hosts = [h.name for h in services.session_lab(ls).shell_hosts]  # never a service host
    if host not in hosts:
        ws.close(reason=1008, message="no such host")
        return
    title = f"{ls.lab_id} {host}"
    viewer = (g.user.id, g.user.session_version)
    db().close()  # do not hold a database connection for the life of a terminal
    app = current_app._get_current_object()
    cols, rows = _size(request.args.get("cols"), 80, 500), _size(request.args.get("rows"), 24, 200)
    tty = engine.get_sandbox(session_id).attach_tty(host, cols, rows)
    rec = Recorder(recording_path(session_id, host), cols, rows, title,
                   max_bytes=app.config.get("RECORDING_LIMIT", 50 << 20))
    key = (session_id, host)
    _claim(key, ws)
    done = threading.Event()

    def pump() -> None:  # sandbox → browser
        try:
            while data := tty.socket.recv(65536):
                rec.output(data)
                ws.send(data)
        except (OSError, ConnectionClosed):
            pass
        finally:
            done.set()
            with contextlib.suppress(ConnectionClosed, OSError):
                ws.close(reason=1000, message="the shell exited")

    def guard() -> None:  # the server holds the deadline, not the browser
        while not done.wait(GUARD_INTERVAL):
            why = _why_over(app, session_id, *viewer)
            if why:
                with contextlib.suppress(ConnectionClosed, OSError):
                    ws.close(reason=1000, message=why)
                return

    threads = [threading.Thread(target=pump, daemon=True), threading.Thread(target=guard, daemon=True)]
    for t in threads:
        t.start()
    try:
        while not done.is_set():
            msg = ws.receive(timeout=GUARD_INTERVAL)
            if msg is None:
                if ws.connected:
                    continue  # no input for a while
                break
            try:
                event = json.loads(msg)
            except (ValueError, TypeError):
                continue  # ignore frames that are not ours
            if not isinstance(event, dict):
                continue
            if isinstance(event.get("i"), str):
                rec.input(event["i"])
                tty.socket.sendall(event["i"].encode())
            elif isinstance(event.get("r"), list) and len(event["r"]) == 2:
                c, r = _size(event["r"][0], cols, 500), _size(event["r"][1], rows, 200)
                tty.resize(c, r)
                rec.resize(c, r)
    except ConnectionClosed:
        pass
    finally:
        done.set()
        _release(key, ws)
        tty.close()
        for t in threads:
            t.join(timeout=2)
        rec.close()
