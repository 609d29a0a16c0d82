"""Security headers on every response: a strict Content-Security-Policy, no framing, no
sniffing, same-origin referrers, and nothing private kept in caches.

The pages carry no inline script or style (scripts and styles are files under static/).
xterm.js needs two allowances on the session page: it writes its theme and cell sizes into
<style> elements it creates, which carry this response's nonce (session.js stamps the nonce
its own <script> tag was given on each one: `style-src-elem 'nonce-…'`); and it colours
true-colour cells with `style` attributes (`style-src-attr 'unsafe-inline'`: attributes
only, which can neither run script nor load anything img-src and font-src do not allow).
"""

from __future__ import annotations

import re
import secrets

from flask import g, request

_HOST = re.compile(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")


def csp_nonce() -> str:
    """This response's nonce for <style> elements that page scripts create (templates:
    `csp_nonce()`); a new one per response, made only when a page asks for it."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def allow_webassembly() -> None:
    """This page runs WebAssembly (the terminal replay: asciinema-player's emulator is wasm);
    'wasm-unsafe-eval' allows compiling it, not JavaScript eval."""
    g.csp_wasm = True


def content_security_policy() -> str:
    """The policy for this request; the terminal's WebSocket is named with this site's own host
    (older browsers do not count ws:// as 'self')."""
    connect = ["'self'"]
    if _HOST.fullmatch(request.host):
        connect.append(f"{'wss' if request.scheme == 'https' else 'ws'}://{request.host}")
    style_elements = ["'self'"] + ([f"'nonce-{g.csp_nonce}'"] if "csp_nonce" in g else [])
    return "; ".join([
        "default-src 'none'",
        "script-src 'self'" + (" 'wasm-unsafe-eval'" if g.get("csp_wasm") else ""),
        "style-src 'self'",
        "style-src-elem " + " ".join(style_elements),
        "style-src-attr 'unsafe-inline'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src " + " ".join(connect),
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ])


def init_app(app) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def security_headers(response):
        h = response.headers
        h.setdefault("Content-Security-Policy", content_security_policy())
        h["X-Frame-Options"] = "DENY"
        h["X-Content-Type-Options"] = "nosniff"
        h["Referrer-Policy"] = "same-origin"
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        if request.endpoint != "static":  # pages and API answers are per user: never stored
            h["Cache-Control"] = "no-store"
        return response
