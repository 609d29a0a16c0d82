"""Error pages and JSON errors: every refusal says what happened and what to do.

Headers an HTTP error carries (`Allow` on a 405) stay on the answer.
"""

from __future__ import annotations

from flask import current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from webapp.services import SessionError

MESSAGES = {400: "The request was not understood.", 403: "You do not have access to this page.",
            404: "There is nothing here.", 405: "That method is not allowed here.",
            413: "The request is too large.",
            500: "Something went wrong on our side; please try again."}


TITLES = {400: "Not understood", 403: "Not allowed", 404: "Not found", 405: "Not allowed", 409: "Not right now",
          413: "Too large", 429: "Too many at once", 500: "Something went wrong", 503: "Busy right now"}
MAX_MESSAGE = 1000  # an error message may quote the request: never all of it


def _page(message: str, status: int):
    return render_template("error.html", message=message, status=status,
                           title=TITLES.get(status, "Something went wrong")), status


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _bounded(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE] + "…"


def _kept_headers(e) -> dict[str, str]:
    """The error's own headers (Allow, Retry-After, WWW-Authenticate), not its content type."""
    if not isinstance(e, HTTPException):
        return {}
    return {k: v for k, v in e.get_headers(request.environ) if k.lower() != "content-type"}


def _message(e, code: int) -> str:
    if code == 400:
        return getattr(e, "description", None) or MESSAGES[code]
    if code == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        return f"{MESSAGES[code][:-1]} (the limit is {limit // 1024} KiB)." if limit else MESSAGES[code]
    return MESSAGES[code]


def init_app(app) -> None:
    @app.errorhandler(SessionError)
    def session_error(e: SessionError):
        if wants_json():
            return jsonify(error=_bounded(str(e))), e.status
        return _page(_bounded(str(e)), e.status)

    for code in MESSAGES:
        @app.errorhandler(code)
        def http_error(e, code=code):
            msg = _bounded(_message(e, code))
            if wants_json():
                return jsonify(error=msg), code, _kept_headers(e)
            body, status = _page(msg, code)
            return body, status, _kept_headers(e)
