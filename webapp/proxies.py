"""The client's address behind reverse proxies (OPSLAB_TRUSTED_PROXIES), for login throttling."""

from __future__ import annotations

from flask import request


def init_app(app) -> None:
    n = app.config["TRUSTED_PROXIES"]
    if n:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Behind N reverse proxies the client address and scheme come from X-Forwarded-*;
        # never trust those headers otherwise (anyone could pick their own address).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)
        return
    warned = []

    @app.before_request
    def _proxy_hint():  # once per process: say how to fix a setup where all share one address
        if not warned and "X-Forwarded-For" in request.headers:
            warned.append(True)
            app.logger.warning("requests carry X-Forwarded-For but OPSLAB_TRUSTED_PROXIES=0: every client counts "
                               "as the proxy's address for login throttling; set it to the number of reverse "
                               "proxies in front of opslab")
