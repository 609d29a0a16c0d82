"""opslab web platform: `create_app` builds the Flask app; nothing is created at import."""

from __future__ import annotations

from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    """Config, limits, database, CSRF, Celery, blueprints, error handlers, headers — in that order."""
    from flask_wtf.csrf import CSRFProtect

    from webapp import api, auth, catalogue, db, errors, headers, limits, proxies, sessions, terminal
    from webapp.celery_app import celery_init_app
    from webapp.config import defaults

    app = Flask(__name__)
    app.config.update(defaults())
    app.config.update(config or {})
    from webapp.pools import parse_setting

    parse_setting(app.config.get("WARM_POOL"))  # a malformed OPSLAB_WARM_POOL stops the start with its reason
    # The terminal's WebSocket: bounded frames, and pings keep proxies from dropping idle shells.
    app.config.setdefault("SOCK_SERVER_OPTIONS", {"max_message_size": 64 * 1024, "ping_interval": 25})
    limits.init_app(app)
    db.init_app(app)
    csrf = CSRFProtect(app)
    celery_init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(catalogue.bp)
    app.register_blueprint(sessions.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # the API checks its own CSRF header or a bearer token
    from webapp import invites, reviewers, reviewers_api, teams  # timed assessments for hiring teams

    for bp in (invites.bp, reviewers.bp, reviewers_api.bp, teams.bp):
        app.register_blueprint(bp)
    from webapp import metrics  # the platform's own figures, for admins (Prometheus)

    app.register_blueprint(metrics.bp)
    csrf.exempt(reviewers_api.bp)
    terminal.init_app(app)
    errors.init_app(app)
    headers.init_app(app)

    @app.context_processor
    def current_user():  # every page, error pages included, knows who is logged in
        from flask import g

        return {"user": g.get("user")}

    proxies.init_app(app)
    return app
