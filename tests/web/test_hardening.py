"""Security headers, input limits, 405's Allow header and the OpenAPI bounds."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

import webapp

PRIVATE = ["/login", "/api/v1/labs", "/api/v1/openapi.json", "/no-such-page", "/api/v1/sessions/nope"]


def assert_security_headers(r) -> None:
    csp = r.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'" and directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in directives["script-src"] + directives["style-src"] and "unsafe-eval" not in csp
    assert r.headers["X-Frame-Options"] == "DENY" and r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("path", PRIVATE)
def test_pages_and_api_answers_carry_the_headers_and_are_never_stored(client, path):
    r = client.get(path)
    assert_security_headers(r)
    assert r.headers["Cache-Control"] == "no-store"


def test_logged_in_pages_carry_the_headers_and_the_terminal_may_connect(app, client, login):
    from tests.web.test_views import add_session

    user, _ = login()
    for path in ["/", "/sessions", "/account/password", f"/sessions/{add_session(app, user.id)}"]:
        r = client.get(path)
        assert r.status_code == 200
        assert_security_headers(r)
        assert r.headers["Cache-Control"] == "no-store"
        assert "connect-src 'self' ws://localhost" in r.headers["Content-Security-Policy"]


def test_the_session_page_gives_its_script_a_fresh_style_nonce(app, client, login):
    from tests.web.test_views import add_session

    user, _ = login()
    sid = add_session(app, user.id)
    nonces = []
    for _ in range(2):
        r = client.get(f"/sessions/{sid}")
        nonce = re.search(rb'session\.[0-9a-f]{12}\.js" nonce="([^"]+)"', r.data).group(1).decode()
        assert f"style-src-elem 'self' 'nonce-{nonce}';" in r.headers["Content-Security-Policy"]
        nonces.append(nonce)
    assert nonces[0] != nonces[1] and len(nonces[0]) >= 22
    assert "nonce-" not in client.get("/").headers["Content-Security-Policy"]  # no page script asked for one


def test_static_assets_carry_the_headers_but_may_be_cached(client):
    r = client.get("/static/app.css")
    assert r.status_code == 200
    assert_security_headers(r)
    assert "no-store" not in r.headers.get("Cache-Control", "")


def test_no_page_needs_inline_script_or_style():
    """The CSP forbids inline code: templates load scripts and styles from files only."""
    root = Path(webapp.__file__).parent
    for tpl in (root / "templates").glob("*.html"):
        html = tpl.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"{tpl.name}: inline <script>"
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", html), f"{tpl.name}: inline style or handler"
    for js in (root / "static").glob("*.js"):
        code = js.read_text()
        assert not re.search(r"\beval\(|new Function|innerHTML|setAttribute\(\s*[\"']style", code), js.name


def test_an_api_body_over_the_limit_is_refused_with_json(client, login):
    _, csrf = login()
    r = client.post("/api/v1/sessions", data=b'{"lab": "' + b"a" * (1 << 20) + b'"}',
                    content_type="application/json", headers={"X-CSRFToken": csrf})
    assert r.status_code == 413 and "too large" in r.json["error"] and "1024 KiB" in r.json["error"]
    assert_security_headers(r)


def test_a_form_over_the_limit_is_refused_with_a_page(client):
    r = client.post("/login", data={"email": "a@example.org", "password": "x" * (1 << 20)})
    assert r.status_code == 413 and b"<h1>Too large</h1>" in r.data


def test_a_large_body_is_never_written_whole_to_the_log(app, client, login, caplog):
    """A lab id just under the body limit used to reach the log whole, in a traceback."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    _, csrf = login()
    with caplog.at_level(logging.INFO):
        for lab in ("a" * 900_000, "A" * 900_000):
            r = client.post("/api/v1/sessions", json={"lab": lab}, headers={"X-CSRFToken": csrf})
            assert r.status_code in (400, 404, 500) and len(r.data) < 5000  # not echoed whole either
    logged = sum(len(rec.getMessage()) + len(rec.exc_text or "") for rec in caplog.records)
    assert logged < 20_000


def test_log_records_are_bounded(app, caplog):
    try:
        raise ValueError("y" * 100_000)
    except ValueError:
        app.logger.exception("boom %s", "x" * 100_000)
    (rec,) = [r for r in caplog.records if r.name == app.logger.name]
    assert len(rec.getMessage()) < 5000 and len(rec.exc_text) < 5000 and "characters cut" in rec.exc_text


def test_405_keeps_the_allow_header(client):
    page = client.get("/logout")
    assert page.status_code == 405 and "POST" in page.headers["Allow"] and b"<h1>Not allowed</h1>" in page.data
    api = client.get("/api/v1/sessions")
    assert api.status_code == 405 and "POST" in api.headers["Allow"] and "error" in api.json


def test_openapi_bounds_every_string_a_client_sends(client):
    doc = client.get("/api/v1/openapi.json").json
    lab = doc["paths"]["/sessions"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]["lab"]
    assert lab["minLength"] >= 1 and lab["maxLength"] <= 100 and not re.search(lab["pattern"], "")
    assert re.search(lab["pattern"], "greeting-file") and not re.search(lab["pattern"], "../etc")
    for path, item in doc["paths"].items():
        for method, op in item.items():
            schemas = [p["schema"] for p in op.get("parameters", [])]
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body:
                schemas += list(body.get("properties", {}).values())
                assert "413" in op["responses"], f"{method} {path}: bodies can be too large"
            for sch in schemas:
                if sch["type"] == "string":
                    assert sch.get("maxLength") and sch.get("pattern"), f"{method} {path}: unbounded string"
                if sch["type"] == "integer":
                    assert "minimum" in sch and "maximum" in sch, f"{method} {path}: unbounded integer"


def test_only_the_replay_page_may_compile_webassembly(client):
    from webapp.headers import allow_webassembly

    assert "wasm-unsafe-eval" not in client.get("/login").headers["Content-Security-Policy"]
    with client.application.test_request_context("/"):
        from webapp.headers import content_security_policy

        allow_webassembly()
        assert "script-src 'self' 'wasm-unsafe-eval';" in content_security_policy() + ";"
