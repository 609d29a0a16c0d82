"""Security headers on every response: a strict Content-Security-Policy, no framing, no
sniffing, same-origin referrers, and nothing private kept in caches.

The pages carry no inline script or style (scripts and styles are files under static/).
xterm.js needs one allowance: its DOM renderer styles true-colour cells with `style`
attributes, so `style-src-attr 'unsafe-inline'` (attributes only: no <style> element, no
script). Its own stylesheets are constructed in script, which `style-src` does not block.
"""

from __future__ import annotations

import re

from flask import request

_HOST = re.compile(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")


def content_security_policy() -> str:
    """The policy for this request; the terminal's WebSocket is named with this site's own host
    (older browsers do not count ws:// as 'self')."""
    connect = ["'self'"]
    if _HOST.fullmatch(request.host):
        connect.append(f"{'wss' if request.scheme == 'https' else 'ws'}://{request.host}")
    return "; ".join([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src " + " ".join(connect),
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ])


def init_app(app) -> None:
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
