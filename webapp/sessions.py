"""Lab pages: start a lab from the catalogue, and the session page (README, terminal, tasks).

The page itself talks to the JSON API (webapp.api) for status, checks, hints and stop.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, redirect, render_template, url_for

from opslab import engine
from webapp import services, tasks
from webapp.auth import login_required
from webapp.db import db
from webapp.models import LabSession
from webapp.rendering import readme_html

bp = Blueprint("sessions", __name__)
# What "My sessions" says for each state (people do not read internal state names).
STATE_WORDS = {"requested": "starting", "provisioning": "starting", "ready": "running", "submitted": "grading",
               "expired": "time up, grading", "graded": "finished", "destroyed": "finished",
               "failed": "could not start"}


@bp.route("/labs/<lab_id>/start", methods=["POST"])
@login_required
def start(lab_id: str):
    ls = services.start_session(db(), g.user, lab_id, current_app.config)
    tasks.enqueue_provision(ls.id)  # after commit: the worker always finds the row
    return redirect(url_for("sessions.page", session_id=ls.id))


@bp.route("/sessions/<session_id>")
@login_required
def page(session_id: str):
    ls = db().get(LabSession, session_id)
    if ls is None or not services.can_access(g.user, ls):
        abort(404)  # not 403: do not confirm that someone else's session exists
    lab = services.session_lab(ls)
    params = tuple(engine.session_params(lab, ls.id).items())  # this attempt's values in the README
    return render_template("session.html", ls=ls, lab=lab, user=g.user,
                           readme=readme_html(lab.path / "README.md", lab.version, params))


@bp.route("/sessions")
@login_required
def mine():
    from sqlalchemy import select

    rows = db().scalars(select(LabSession).where(LabSession.user_id == g.user.id)
                        .order_by(LabSession.created_at.desc()).limit(50)).all()
    titles = {lab.id: lab.spec.title for lab in engine.catalogue()}
    return render_template("sessions.html", sessions=rows, user=g.user, titles=titles, state_words=STATE_WORDS)
