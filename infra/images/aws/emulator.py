"""The cloud labs' AWS emulator: moto's server app (S3, IAM, STS, ...) behind a guard.

Serves on 0.0.0.0:5000 (``--port`` to change). moto's own control API (``/moto-api/``:
reset, seed, config, recorder, data dump) answers only to the host itself: a candidate on
another host of the lab reaches the emulator through the AWS APIs alone, so cannot wipe or
reconfigure it, while the grader (running on this host, which has no shell) can. Also
answers ``/opslab/health`` to anyone, for start-up waits.
"""

import argparse
import os
import sys
import urllib.parse

# AWS's own managed policies (AdministratorAccess, ReadOnlyAccess, ...) exist, as in AWS.
os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"

from moto.moto_server.werkzeug_app import (  # noqa: E402 (after the setting above)
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple  # noqa: E402

LOCAL = {"127.0.0.1", "::1"}
CONTROL = ("moto-api", "moto_api", "motoapi")


def _refused(environ) -> bool:
    """A request from another host that names moto's control API anywhere it could be routed
    by: the path (decoded and raw, any case) or the Host header."""
    if environ.get("REMOTE_ADDR") in LOCAL:
        return False
    where = " ".join((
        environ.get("PATH_INFO", ""),
        urllib.parse.unquote(environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""),
        environ.get("HTTP_HOST", ""),
        environ.get("SERVER_NAME", ""),
    )).lower()
    return any(word in where for word in CONTROL) or environ.get("PATH_INFO", "").startswith("/latest/")


def guard(app):
    """WSGI middleware: refuse the control API to remote clients; answer the health probe."""
    def guarded(environ, start_response):
        if environ.get("PATH_INFO") == "/opslab/health":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok\n"]
        if _refused(environ):
            body = b"<Error><Code>AccessDenied</Code><Message>the emulator's control API is not for the lab network</Message></Error>"
            start_response("403 Forbidden", [("Content-Type", "application/xml"),
                                             ("Content-Length", str(len(body)))])
            return [body]
        return app(environ, start_response)
    return guarded


def main(argv: list[str] | None = None) -> None:
    """Parse the port and serve the guarded emulator, threaded, until killed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args(argv)
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, guard(app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    sys.exit(main())
