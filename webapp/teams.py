"""Hiring teams: who may see which assessments, invites and reports.

A reviewer belongs to one team and sees only its assessments; admins see every team's.
Anyone else (candidates, invitees, instructors) sees none: the reviewer pages answer 403,
and a team's objects answer 404 to everyone outside it, so their existence is not confirmed.
Admins manage teams at /teams (or `opslab team create`, `opslab user create --team`).
"""

from __future__ import annotations

import re
import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from webapp.auth import create_user, role_required
from webapp.db import db
from webapp.models import Assessment, Invite, Role, Team, User

TEAM_NAME = re.compile(r"^[\w][\w .&'-]{0,98}[\w.]$|^\w$")
REVIEWERS = (Role.reviewer, Role.admin)


def create_team(s, name: str) -> Team:
    """A new team; ValueError naming what to change for a bad or taken name."""
    name = (name or "").strip()
    if not TEAM_NAME.match(name):
        raise ValueError(f"{name!r} is not a team name: use 1-100 letters, digits, spaces, . & ' -")
    if s.scalar(select(Team).where(Team.name == name)):
        raise ValueError(f"a team named {name} already exists")
    team = Team(name=name)
    s.add(team)
    s.commit()
    return team


def find_team(s, name: str) -> Team:
    """The team of that name, or ValueError listing the known ones."""
    team = s.scalar(select(Team).where(Team.name == (name or "").strip()))
    if team is None:
        known = ", ".join(s.scalars(select(Team.name).order_by(Team.name))) or "none yet"
        raise ValueError(f"no team {name!r} (teams: {known}); create it with `opslab team create NAME`")
    return team


def is_reviewer(user: User | None) -> bool:
    return user is not None and user.role in REVIEWERS


def sees_team(user: User | None, team_id: int) -> bool:
    """Admins see every team; a reviewer only their own."""
    if user is None:
        return False
    return user.role == Role.admin or (user.role == Role.reviewer and user.team_id == team_id)


def assessment_or_404(s, user: User, assessment_id: int) -> Assessment:
    a = s.get(Assessment, assessment_id)
    if a is None or not sees_team(user, a.team_id):
        abort(404)
    return a


def invite_or_404(s, user: User, invite_id: int) -> Invite:
    inv = s.get(Invite, invite_id)
    if inv is None or not sees_team(user, inv.assessment.team_id):
        abort(404)
    return inv


def visible_assessments(s, user: User, archived: bool = False) -> list[Assessment]:
    """The assessments this user may see: the open ones, or (archived=True) the archived ones."""
    q = select(Assessment).order_by(Assessment.created_at.desc())
    q = q.where(Assessment.archived_at.is_not(None) if archived else Assessment.archived_at.is_(None))
    if user.role != Role.admin:
        q = q.where(Assessment.team_id == user.team_id)
    return list(s.scalars(q))


# -- the admin page ----------------------------------------------------------------------------

bp = Blueprint("teams", __name__)


@bp.route("/teams", methods=["GET", "POST"])
@role_required(Role.admin)
def admin():
    """Teams and their reviewers: create a team, add a reviewer (a new account, or move an
    existing one), take a reviewer out of a team."""
    s = db()
    if request.method == "POST":
        try:
            flash(_act(s, request.form), "info")
        except ValueError as e:
            flash(str(e), "error")
        return redirect(url_for("teams.admin"))
    all_teams = s.scalars(select(Team).order_by(Team.name)).all()
    members = {t.id: s.scalars(select(User).where(User.team_id == t.id).order_by(User.email)).all() for t in all_teams}
    return render_template("teams.html", teams=all_teams, members=members)


def _act(s, form) -> str:
    action = form.get("action")
    if action == "create":
        return f"Team {create_team(s, form.get('name', '')).name} created."
    if action == "add":
        team = s.get(Team, int(form["team"])) if str(form.get("team", "")).isdigit() else None
        if team is None:
            raise ValueError("pick a team")
        email = (form.get("email") or "").strip().lower()
        user = s.scalar(select(User).where(User.email == email))
        if user is None:
            password = secrets.token_urlsafe(12)
            user = create_user(s, email, password, Role.reviewer)
            note = f" Their password (shown once): {password}"
        elif user.role not in (Role.reviewer, Role.candidate):
            raise ValueError(f"{email} is {user.role.value}: only candidates and reviewers can join a team")
        else:
            note = ""
        user.role, user.team_id = Role.reviewer, team.id
        s.commit()
        return f"{email} is a reviewer in {team.name}.{note}"
    if action == "webhook":
        from webapp.webhooks import set_webhook

        team = s.get(Team, int(form.get("team", 0) or 0))
        if team is None:
            raise ValueError("no such team")
        secret = set_webhook(s, team, (form.get("url") or "").strip() or None)
        return (f"Webhook of {team.name}: {team.webhook_url}; its signing secret (shown once): {secret}" if secret
                else f"Webhook of {team.name} is off.")
    if action == "remove":
        user = s.get(User, int(form.get("user", 0) or 0))
        if user is None or user.team_id is None:
            raise ValueError("no such team member")
        user.team_id = None
        s.commit()
        return f"{user.email} is no longer in a team (and sees no assessments)."
    raise ValueError("unknown action")
