"""The terminal's WebSocket: a foreign or missing Origin gets 403 before any upgrade, and a
live terminal ends when its user logs out."""

from __future__ import annotations

import pytest

from tests.web.test_views import add_session

UPGRADE = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
           "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}


class Upgraded(Exception):
    """Raised by the stand-in WebSocket server: the handshake got as far as an upgrade."""


@pytest.fixture
def upgrades(monkeypatch):
    """Count upgrades: flask-sock's server is replaced by one that records and stops."""
    import flask_sock

    made = []

    def server(environ, **_kw):
        made.append(environ.get("HTTP_ORIGIN"))
        raise Upgraded

    monkeypatch.setattr(flask_sock, "Server", server)
    return made


def handshake(client, path, origin=None, **headers):
    h = dict(UPGRADE, **headers)
    if origin is not None:
        h["Origin"] = origin
    return client.get(path, headers=h)


@pytest.mark.parametrize("origin", [None, "", "null", "http://evil.example", "https://localhost",
                                    "http://localhost:8000", "http://localhost.evil.example",
                                    "http://localhost,http://evil.example", "http://user@localhost",
                                    "ws://localhost", "http://localhost/path"])
def test_a_foreign_or_missing_origin_is_refused_before_the_upgrade(app, client, login, upgrades, origin):
    user, _ = login()
    sid = add_session(app, user.id)
    r = handshake(client, f"/sessions/{sid}/terminal/box", origin)
    assert r.status_code == 403 and "Sec-WebSocket-Accept" not in r.headers
    assert b"this site's own pages" in r.data
    assert upgrades == []  # the WebSocket server never saw the request


def test_this_sites_own_origin_reaches_the_upgrade(app, client, login, upgrades):
    user, _ = login()
    sid = add_session(app, user.id)
    for origin in ("http://localhost", "http://LOCALHOST:80", "http://localhost/"):
        with pytest.raises(Upgraded):
            handshake(client, f"/sessions/{sid}/terminal/box", origin)
    assert len(upgrades) == 3


def test_behind_a_trusted_proxy_the_scheme_is_the_proxys(tmp_path, monkeypatch, upgrades):
    from tests.conftest import FIXTURE_LABS
    from webapp import create_app
    from webapp.migrate import upgrade

    monkeypatch.setenv("OPSLAB_LABS", str(FIXTURE_LABS))
    url = f"sqlite:///{tmp_path / 'p.db'}"
    upgrade(url)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "t", "TRUSTED_PROXIES": 1,
                      "RECORDINGS_DIR": str(tmp_path / "rec")})
    client = app.test_client()
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    assert handshake(client, "/sessions/x/terminal/box", "http://localhost", **https).status_code == 403
    with pytest.raises(Upgraded):
        handshake(client, "/sessions/x/terminal/box", "https://localhost", **https)


def test_a_live_terminal_ends_when_its_user_logs_out(app, make_user):
    from webapp.auth import end_sessions
    from webapp.db import session_scope
    from webapp.shells import Client
    from webapp.terminal import _logged_out, _session_over

    user = make_user()
    sid = add_session(app, user.id)
    window = Client.__new__(Client)  # only who it is matters here
    window.viewer = (user.id, 0)
    assert _session_over(app, sid) is None and _logged_out(app, [window]) == []
    with session_scope(app) as s:
        end_sessions(s, user.id)
    assert _logged_out(app, [window]) == [window]
