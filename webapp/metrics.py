"""GET /metrics: the platform's own figures in Prometheus' text format, for admins only.

Scraped with an admin's API token (`opslab user token`, sent as `Authorization: Bearer …`) or
viewed in an admin's browser; anyone else gets 401 (no credentials) or 403. Everything is read
from the database and the queue at scrape time, so every web process answers the same:

- opslab_sessions{state}                 sessions by state (gauge)
- opslab_pool_members{lab,state}         warm pool members (gauge)
- opslab_queue_length{queue}             tasks waiting in each Celery queue (gauge)
- opslab_session_ready_seconds           Start → sandbox ready, every session so far (histogram)
- opslab_check_seconds                   Check pressed → graded, every Check so far (histogram)
- opslab_grading_errors_total            grades that ended with an error instead of a report
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, request
from sqlalchemy import func, select

from webapp import pools
from webapp.celery_app import FINAL_QUEUE, GRADE_QUEUE, SESSIONS_QUEUE
from webapp.db import db
from webapp.models import Grade, LabSession, Role, State, aware

bp = Blueprint("metrics", __name__)

READY_BUCKETS = (0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300)
CHECK_BUCKETS = (0.25, 0.5, 1, 2, 5, 10, 30, 60)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{k}="{_escape(str(v))}"' for k, v in labels.items()) + "}" if labels else ""


def _histogram(out: list[str], name: str, help_: str, values: list[float], buckets: tuple) -> None:
    out += [f"# HELP {name} {help_}", f"# TYPE {name} histogram"]
    for le in buckets:
        out.append(f'{name}_bucket{{le="{le}"}} {sum(1 for v in values if v <= le)}')
    out += [f'{name}_bucket{{le="+Inf"}} {len(values)}', f"{name}_sum {sum(values):.6f}", f"{name}_count {len(values)}"]


def _queue_lengths() -> dict[str, int | None]:
    import redis

    try:
        r = redis.Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=1, socket_connect_timeout=1)
        return {q: int(r.llen(q)) for q in (SESSIONS_QUEUE, GRADE_QUEUE, FINAL_QUEUE)}
    except redis.RedisError:
        return {}


def _allowed() -> Response | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        from webapp.auth import user_for_token

        g.user = user_for_token(header.removeprefix("Bearer ").strip())
    if g.get("user") is None:
        return Response("send an admin's API token: Authorization: Bearer <token> (opslab user token)\n", 401,
                        {"WWW-Authenticate": "Bearer", "Content-Type": "text/plain; charset=utf-8"})
    if g.user.role != Role.admin:
        return Response("metrics are for admins\n", 403, {"Content-Type": "text/plain; charset=utf-8"})
    return None


@bp.get("/metrics")
def metrics():
    refused = _allowed()
    if refused is not None:
        return refused
    s = db()
    out = ["# HELP opslab_sessions Lab sessions by state.", "# TYPE opslab_sessions gauge"]
    counts = dict(s.execute(select(LabSession.state, func.count()).group_by(LabSession.state)).all())
    out += [f"opslab_sessions{_labels(state=st.value)} {counts.get(st, 0)}" for st in State]
    out += ["# HELP opslab_pool_members Warm pool members by lab and state.", "# TYPE opslab_pool_members gauge"]
    for lab, states in sorted(pools.sizes(s).items()):
        out += [f"opslab_pool_members{_labels(lab=lab, state=st)} {n}" for st, n in sorted(states.items())]
    queues = _queue_lengths()
    out += ["# HELP opslab_queue_length Tasks waiting in each Celery queue.", "# TYPE opslab_queue_length gauge"]
    out += [f"opslab_queue_length{_labels(queue=q)} {n}" for q, n in queues.items()]
    out += ["# HELP opslab_queue_up 1 when the task queue answered this scrape.", "# TYPE opslab_queue_up gauge",
            f"opslab_queue_up {1 if queues else 0}"]
    ready = [(aware(r) - aware(c)).total_seconds() for c, r in
             s.execute(select(LabSession.created_at, LabSession.ready_at).where(LabSession.ready_at.is_not(None)))]
    _histogram(out, "opslab_session_ready_seconds", "Start to sandbox ready.", ready, READY_BUCKETS)
    checks = [(aware(d) - aware(c)).total_seconds() for c, d in
              s.execute(select(Grade.created_at, Grade.done_at).where(Grade.done_at.is_not(None), Grade.final.is_(False),
                                                                      Grade.error.is_(None)))]
    _histogram(out, "opslab_check_seconds", "Check pressed to graded.", checks, CHECK_BUCKETS)
    errors = s.scalar(select(func.count()).select_from(Grade).where(Grade.error.is_not(None)))
    out += ["# HELP opslab_grading_errors_total Grades that ended with an error instead of a report.",
            "# TYPE opslab_grading_errors_total counter", f"opslab_grading_errors_total {errors}"]
    return Response("\n".join(out) + "\n", 200, {"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})
