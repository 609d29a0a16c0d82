"""The browser terminal: a WebSocket attached to a shell the web process keeps (webapp.shells).

Client → server: JSON text frames {"i": "<keys>"}, {"r": [cols, rows]}, {"take": true}.
Server → client: binary frames of terminal output, and JSON text frames with the window's
state: {"role": "writer"|"watcher", "can_take", "writer", "windows", "size"}; the first has
"hello": true and is followed by a replay of recent output (the client resets its screen).
Only the session's owner (and admins) may attach, from this site's own pages, and only
while the session is ready. The shell outlives its WebSockets: a reload or a network drop
returns to it. One window writes; another window of the owner watches read-only and may
take over ("Use this window"); an admin always watches and never disturbs the owner.
A guard per shell ends it when the session stops or expires, or after TERMINAL_KEEP_SECONDS
with no window, and closes a window whose user logged out or changed password. A handshake
whose Origin is not this site (scheme, host and port, as the trusted proxies report them)
or has none is answered 403 before any upgrade: another site's page must not reach a shell
with the user's cookie.
"""

from __future__ import annotations

import json
import os
import threading
import time
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
from webapp.shells import Client, Shell, Shells

sock = Sock()
GUARD_INTERVAL = 3.0  # seconds between checks that the session is still ready
KEEP_SECONDS = 30 * 60  # a shell with no window for this long ends (OPSLAB_TERMINAL_KEEP_SECONDS)


def init_app(app) -> None:
    sock.init_app(app)
    app.extensions["opslab.shells"] = Shells()
    app.config.setdefault("TERMINAL_KEEP_SECONDS", int(os.environ.get("OPSLAB_TERMINAL_KEEP_SECONDS", KEEP_SECONDS)))
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


def _session_over(app, session_id: str) -> str | None:
    """Why the session's shells must end now (the lab ended), or None."""
    with session_scope(app) as s:
        ls = s.get(LabSession, session_id)
        if not (ls and ls.state == State.ready
                and (ls.deadline is None or services.aware(ls.deadline) > services.utcnow())):
            return "the lab has ended"
        return None


def _logged_out(app, clients: list[Client]) -> list[Client]:
    """The windows whose user logged out (or changed password) since they attached."""
    if not clients:
        return []
    with session_scope(app) as s:
        versions = {u.id: u.session_version
                    for u in s.query(User).filter(User.id.in_({c.viewer[0] for c in clients}))}
    return [c for c in clients if versions.get(c.viewer[0]) != c.viewer[1]]


def _guard(app, shell: Shell) -> None:
    """The server holds the deadline, not the browser: end the shell when the lab ends or
    nobody has looked at it for a while; close the windows of users who logged out."""
    keep = app.config.get("TERMINAL_KEEP_SECONDS", KEEP_SECONDS)
    while not shell.ended:
        time.sleep(GUARD_INTERVAL)
        try:
            why = _session_over(app, shell.key[0])
            idle = shell.idle_since
            if why is None and idle is not None and time.monotonic() - idle > keep:
                why = "nobody used this terminal for a while"
            if why:
                shell.end(why)
                return
            for c in _logged_out(app, list(shell.clients)):
                shell.drop(c, "you logged out (or your password changed); log in again")
        except Exception:  # a database hiccup must not leave the shell unguarded
            app.logger.exception("terminal guard for %s/%s", *shell.key)


def _open_shell(app, session_id: str, host: str, cols: int, rows: int, title: str) -> Shell:
    """The session host's kept shell, or a new TTY exec with its recorder and guard."""
    shells: Shells = app.extensions["opslab.shells"]

    def make() -> Shell:
        tty = engine.get_sandbox(session_id).attach_tty(host, cols, rows)
        rec = Recorder(recording_path(session_id, host), cols, rows, title,
                       max_bytes=app.config.get("RECORDING_LIMIT", 50 << 20))
        shell = Shell((session_id, host), tty, rec, (cols, rows), on_end=shells.forget)
        threading.Thread(target=_guard, args=(app, shell), daemon=True, name="terminal-guard").start()
        return shell

    return shells.open((session_id, host), make)


def _handle(shell: Shell, client: Client, msg) -> None:
    """One frame from a window: keys, its size, or "Use this window"."""
    try:
        event = json.loads(msg)
    except (ValueError, TypeError):
        return  # ignore frames that are not ours
    if not isinstance(event, dict):
        return
    if isinstance(event.get("i"), str):
        shell.input(client, event["i"])
    elif isinstance(event.get("r"), list) and len(event["r"]) == 2:
        cols, rows = client.size
        shell.resize(client, _size(event["r"][0], cols, 500), _size(event["r"][1], rows, 200))
    elif event.get("take") is True:
        shell.take(client)


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
    owner = ls.user_id == g.user.id
    viewer = (g.user.id, g.user.session_version)
    db().close()  # do not hold a database connection for the life of a terminal
    app = current_app._get_current_object()
    cols, rows = _size(request.args.get("cols"), 80, 500), _size(request.args.get("rows"), 24, 200)
    tab = (request.args.get("tab") or "")[:64]
    shell = _open_shell(app, session_id, host, cols, rows, title)
    client = Client(ws, viewer, owner, tab, (cols, rows))
    shell.attach(client)
    try:
        while client.open and not shell.ended:
            msg = ws.receive(timeout=GUARD_INTERVAL)
            if msg is None:
                if ws.connected:
                    continue  # no input for a while
                break
            _handle(shell, client, msg)
    except ConnectionClosed:
        pass
    finally:
        shell.detach(client)
        client.close("")
