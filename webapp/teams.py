"""Hiring teams: who may see which assessments, invites and reports.

A reviewer belongs to one team and sees only its assessments; admins see every team's.
Anyone else (candidates, invitees, instructors) sees none: the reviewer pages answer 403,
and a team's objects answer 404 to everyone outside it, so their existence is not confirmed.
"""

from __future__ import annotations

import re

from flask import abort
from sqlalchemy import select

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


def visible_assessments(s, user: User) -> list[Assessment]:
    q = select(Assessment).order_by(Assessment.created_at.desc())
    if user.role != Role.admin:
        q = q.where(Assessment.team_id == user.team_id)
    return list(s.scalars(q))
