"""JSON API for sessions (start, status, check, stop, hints), described by /api/v1/openapi.json.

Clients authenticate with the browser session (state-changing calls then need the
X-CSRFToken header) or with `Authorization: Bearer <token>` from `opslab user token`.
"""

from __future__ import annotations

import functools
from datetime import datetime

from flask import Blueprint, abort, current_app, g, jsonify, request
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from webapp import services, tasks
from webapp.auth import user_for_token
from webapp.catalogue import catalogue
from webapp.db import db
from webapp.models import Grade, LabSession, State
from webapp.openapi import OPENAPI

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def api_auth(view):
    @functools.wraps(view)
    def wrapped(**kwargs):
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            g.user = user_for_token(header.removeprefix("Bearer ").strip())
            if g.user is None:
                return jsonify(error="invalid API token; create one with `opslab user token EMAIL`"), 401
        elif g.user is None:
            return jsonify(error="log in, or send Authorization: Bearer <token>"), 401
        elif request.method not in ("GET", "HEAD", "OPTIONS"):
            try:
                validate_csrf(request.headers.get("X-CSRFToken", ""))
            except ValidationError:
                return jsonify(error="missing or stale X-CSRFToken header; reload the page"), 400
        return view(**kwargs)

    return wrapped


def owned(session_id: str) -> LabSession:
    ls = db().get(LabSession, session_id)
    if ls is None or not services.can_access(g.user, ls):
        abort(404)
    return ls


def iso(dt: datetime | None) -> str | None:
    return services.aware(dt).isoformat() if dt else None


def status(ls: LabSession) -> dict:
    lab = services.session_lab(ls)
    last = ls.latest_grade
    if ls.invite_id is not None:  # an assessment's final grade is for the hiring team, not the candidate
        last = next((gr for gr in reversed(ls.grades) if gr.done_at and not gr.final), None)
    latest = services.grade_view(last) if last else None
    results = {t["id"]: t for t in ((latest or {}).get("report") or {"tasks": []})["tasks"]}
    pending = next((gr.id for gr in reversed(ls.grades) if gr.done_at is None), None)
    now = services.utcnow()
    running = ls.state == State.ready  # the clock stops when the session ends
    left = max(0, int((services.aware(ls.deadline) - now).total_seconds())) if ls.deadline and running else None
    hints = ls.hints_revealed or {}
    place = services.queue_place(db(), ls)
    progress = ls.progress
    if place:
        progress = (f"waiting for a free sandbox: number {place['position']} in line"
                    + (f", a slot frees within about {max(1, round(place['estimate_seconds'] / 60))} min"
                       if place["estimate_seconds"] is not None else "") + "; this page starts it by itself")
    return {
        "id": ls.id, "lab": ls.lab_id, "title": lab.spec.title, "state": ls.state.value,
        "progress": progress, "failure_reason": ls.failure_reason, "queue": place,
        "server_time": now.isoformat(), "deadline": iso(ls.deadline), "seconds_left": left,
        "hosts": [h.name for h in lab.shell_hosts], "pending_grade": pending,
        "error": latest["error"] if latest else None,
        "score": sum(t["earned"] for t in results.values()), "max_score": lab.max_score,
        "tasks": [{"id": t.id, "title": t.title, "points": t.points,
                   "passed": results.get(t.id, {}).get("passed"), "feedback": results.get(t.id, {}).get("feedback", ""),
                   "hints": t.hints[: hints.get(t.id, 0)], "hints_left": len(t.hints) - hints.get(t.id, 0)}
                  for t in lab.spec.tasks],
        **services.ending(ls),
        "next_lab": services.next_lab(db(), ls) if ls.state in (State.graded, State.destroyed) else None,
    }


@bp.route("/openapi.json")
def openapi():
    return jsonify(OPENAPI)


@bp.route("/labs")
@api_auth
def labs():
    return jsonify(labs=[{"id": lab.id, "title": lab.spec.title, "skills": lab.spec.skills,
                          "difficulty": lab.spec.difficulty, "duration": lab.spec.duration,
                          "points": lab.max_score} for lab in catalogue()])


@bp.route("/sessions", methods=["POST"])
@api_auth
def start():
    body = request.get_json(silent=True)
    lab_id = body.get("lab") if isinstance(body, dict) else None
    if not isinstance(lab_id, str) or not lab_id:
        return jsonify(error='send JSON {"lab": "<lab id>"}; GET /api/v1/labs lists them'), 400
    ls = services.start_session(db(), g.user, lab_id, current_app.config)
    tasks.enqueue_provision(ls.id)  # if the queue is away, the sweep queues it again (services.stalled_starts)
    return jsonify(status(ls)), 202


@bp.route("/sessions/<session_id>")
@api_auth
def get(session_id: str):
    return jsonify(status(owned(session_id)))


@bp.route("/sessions/<session_id>/check", methods=["POST"])
@api_auth
def check(session_id: str):
    ls = owned(session_id)
    gr = services.request_grade(db(), ls)
    if not tasks.enqueue_grade(gr.id):
        services.fail_grade(db(), gr, "the platform's queue is not reachable right now; press Check again in a minute")
        return jsonify(error=gr.error, grade_id=gr.id), 503
    return jsonify(grade_id=gr.id), 202


@bp.route("/sessions/<session_id>/grades/<int:grade_id>")
@api_auth
def grade_result(session_id: str, grade_id: int):
    ls = owned(session_id)
    gr = db().get(Grade, grade_id)
    if gr is None or gr.session_id != ls.id or (gr.final and ls.invite_id is not None):
        abort(404)  # an assessment's final grade is for the hiring team
    return jsonify(services.grade_view(gr))


@bp.route("/sessions/<session_id>/hints", methods=["POST"])
@api_auth
def hint(session_id: str):
    ls = owned(session_id)
    body = request.get_json(silent=True)
    task = body.get("task") if isinstance(body, dict) else None
    if not isinstance(task, str):
        return jsonify(error='send JSON {"task": "<task id>"}'), 400
    hints = services.reveal_hint(db(), ls, services.session_lab(ls), task)
    return jsonify(task=task, hints=hints)


@bp.route("/sessions/<session_id>/stop", methods=["POST"])
@api_auth
def stop(session_id: str):
    ls = owned(session_id)
    if services.stop(db(), ls):
        tasks.enqueue_finish(ls.id)
    tasks.admit_waiting(db(), current_app.config)  # a slot may have freed: the next in line starts
    return jsonify(status(ls)), 202


@bp.errorhandler(404)
def not_found(_e):
    return jsonify(error="no such session (or not yours)"), 404


