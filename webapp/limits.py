"""Input limits: request bodies are refused past MAX_CONTENT_LENGTH (413, before anything
reads them), and what the app logs is cut to a bound, so a large body that ends up in an
error message or a traceback cannot flood the logs.
"""

from __future__ import annotations

import logging

from flask import abort, current_app, request

LOG_LIMIT = 4096  # characters of one log message, and of one traceback


def _cut(text: str, limit: int = LOG_LIMIT) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit // 2]} …[{len(text) - limit} characters cut]… {text[-limit // 2:]}"


class BoundedRecords(logging.Filter):
    """Cut a record's message and traceback to LOG_LIMIT characters each."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if len(message) > LOG_LIMIT:
            record.msg, record.args = _cut(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _cut(record.exc_text)
        return True


def refuse_large_bodies() -> None:
    """413 for a declared length over the limit (a chunked body is cut by Werkzeug on reading)."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and request.content_length is not None and request.content_length > limit:
        abort(413)


def init_app(app) -> None:
    app.before_request(refuse_large_bodies)  # create_app calls this before CSRF (which reads forms)
    if not any(isinstance(f, BoundedRecords) for f in app.logger.filters):
        app.logger.addFilter(BoundedRecords())
