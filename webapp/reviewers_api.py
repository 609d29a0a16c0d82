"""JSON API for hiring teams: role templates, assessments, invites, reports and results
(described in webapp/openapi.py). Same authentication as webapp.api; reviewers and admins
only, and a team's objects answer 404 outside it."""

from __future__ import annotations

import functools

from flask import Blueprint, Response, abort, g, jsonify, request

from webapp import assessments, invites, reports, teams
from webapp.api import api_auth, iso
from webapp.db import db
from webapp.reviewers import recordings, results, team_for, to_csv

bp = Blueprint("reviewers_api", __name__, url_prefix="/api/v1")


def reviewers_only(view):
    @functools.wraps(view)
    @api_auth
    def wrapped(**kwargs):
        if not teams.is_reviewer(g.user):
            return jsonify(error="only a hiring team's reviewers (and admins) can do this"), 403
        return view(**kwargs)

    return wrapped


def assessment_view(a) -> dict:
    return {"id": a.id, "team": a.team.name, "title": a.title, "role": a.role, "labs": a.labs,
            "time_limit": a.time_limit, "mode": a.mode.value, "invite_days": a.invite_days,
            "created_at": iso(a.created_at), "archived_at": iso(a.archived_at),
            "invites": [invite_view(i) for i in a.invites]}


def invite_view(inv) -> dict:
    return {"id": inv.id, "label": inv.label, "status": invites.status(inv), "extra_time": inv.extra_time,
            "expires_at": iso(inv.expires_at), "used_at": iso(inv.used_at), "started_at": iso(inv.started_at),
            "finished_at": iso(inv.finished_at)}


def body() -> dict:
    b = request.get_json(silent=True)
    if not isinstance(b, dict):
        abort(400, description="send a JSON object")
    return b


@bp.route("/role-templates")
@reviewers_only
def role_templates():
    return jsonify(templates={k: assessments.template_draft(k) for k in assessments.ROLE_TEMPLATES})


@bp.route("/assessments", methods=["GET", "POST"])
@reviewers_only
def assessment_list():
    if request.method == "GET":
        archived = request.args.get("archived") == "true"
        return jsonify(assessments=[assessment_view(a) for a in teams.visible_assessments(db(), g.user, archived)])
    b = body()
    draft = {**assessments.template_draft(b["role"]), **b} if b.get("role") else b
    a = assessments.create_assessment(db(), team_for(g.user, b.get("team")), draft, g.user)
    return jsonify(assessment_view(a)), 201


@bp.route("/assessments/<int:assessment_id>", methods=["GET", "PATCH"])
@reviewers_only
def assessment_get(assessment_id: int):
    a = teams.assessment_or_404(db(), g.user, assessment_id)
    if request.method == "PATCH":  # started attempts keep the terms they pinned at Start
        assessments.edit_assessment(db(), a, body())
    return jsonify(assessment_view(a))


@bp.route("/assessments/<int:assessment_id>/archive", methods=["POST"])
@reviewers_only
def assessment_archive(assessment_id: int):
    a = teams.assessment_or_404(db(), g.user, assessment_id)
    assessments.archive(db(), a)
    return jsonify(assessment_view(a))


@bp.route("/assessments/<int:assessment_id>/restore", methods=["POST"])
@reviewers_only
def assessment_restore(assessment_id: int):
    a = teams.assessment_or_404(db(), g.user, assessment_id)
    assessments.archive(db(), a, archived=False)
    return jsonify(assessment_view(a))


@bp.route("/assessments/<int:assessment_id>/invites", methods=["POST"])
@reviewers_only
def invite_create(assessment_id: int):
    a = teams.assessment_or_404(db(), g.user, assessment_id)
    b = body()
    inv, token = invites.create_invite(db(), a, b.get("label"), b.get("extra_minutes", 0), g.user)
    return jsonify({**invite_view(inv), "link": invites.link(token)}), 201


@bp.route("/assessments/<int:assessment_id>/results")
@reviewers_only
def assessment_results(assessment_id: int):
    a = teams.assessment_or_404(db(), g.user, assessment_id)
    built, rows = results(a, request.args.get("sort"))
    if request.args.get("format") == "csv":
        return Response(to_csv(rows), mimetype="text/csv")
    return jsonify(assessment=a.id, candidates=rows, reports=built)


@bp.route("/invites/<int:invite_id>/revoke", methods=["POST"])
@reviewers_only
def invite_revoke(invite_id: int):
    inv = teams.invite_or_404(db(), g.user, invite_id)
    invites.revoke(db(), inv)
    return jsonify(invite_view(inv))


@bp.route("/invites/<int:invite_id>/report")
@reviewers_only
def invite_report(invite_id: int):
    inv = teams.invite_or_404(db(), g.user, invite_id)
    return jsonify(reports.build(db(), inv, recordings()))
