from flask import Blueprint

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz():
    """Liveness for the orchestrator: 200 while the worker can serve requests."""
    return {"status": "ok"}
