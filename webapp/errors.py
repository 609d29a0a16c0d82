"""Error pages and JSON errors: every refusal says what happened and what to do."""

from __future__ import annotations

from flask import jsonify, render_template, request

from webapp.services import SessionError

MESSAGES = {400: "The request was not understood.", 403: "You do not have access to this page.",
            404: "There is nothing here.", 405: "That method is not allowed here.",
            500: "Something went wrong on our side; please try again."}


TITLES = {400: "Not understood", 403: "Not allowed", 404: "Not found", 405: "Not allowed",
          409: "Not right now", 429: "Too many at once", 500: "Something went wrong", 503: "Busy right now"}


def _page(message: str, status: int):
    return render_template("error.html", message=message, status=status,
                           title=TITLES.get(status, "Something went wrong")), status


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def init_app(app) -> None:
    @app.errorhandler(SessionError)
    def session_error(e: SessionError):
        if wants_json():
            return jsonify(error=str(e)), e.status
        return _page(str(e), e.status)

    for code in MESSAGES:
        @app.errorhandler(code)
        def http_error(e, code=code):
            desc = getattr(e, "description", None) if code == 400 else None
            msg = desc or MESSAGES[code]
            if wants_json():
                return jsonify(error=msg), code
            return _page(msg, code)
