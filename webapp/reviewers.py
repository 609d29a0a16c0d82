"""The hiring team's pages: assessments (from a role template, edited, archived), invites,
the comparison of candidates, each candidate's report with the terminal replay, exports.

Reviewers see only their team's; admins every team's; others get 403 (404 for a team's
object, so that its existence is not confirmed).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from sqlalchemy import select

from grader.skills import SKILLS
from webapp import assessments, invites, reports, services, teams
from webapp.auth import role_required
from webapp.catalogue import catalogue
from webapp.db import db
from webapp.headers import allow_webassembly
from webapp.models import Role, Team
from webapp.services import SessionError

bp = Blueprint("reviewers", __name__)
reviewer_required = role_required(Role.reviewer, Role.admin)
SORTS = ("candidate", "status", "percent", "minutes_used", "flags")


@bp.app_template_filter("duration")
def duration(seconds: int) -> str:
    """90 → '1 min 30 s', 3600 → '60 min', 45 → '45 s' (time limits as people say them)."""
    m, sec = divmod(int(seconds), 60)
    return " ".join(p for p in (f"{m} min" if m else "", f"{sec} s" if sec or not m else "") if p)


def recordings() -> Path:
    return Path(current_app.config["RECORDINGS_DIR"])


def team_for(user, team_id=None) -> Team:
    """The team a new assessment belongs to: the reviewer's, or the one an admin picks."""
    if user.role == Role.admin:
        team = db().get(Team, int(team_id)) if str(team_id or "").isdigit() else None
        if team is None:
            raise SessionError("team: pick the team this assessment is for (`opslab team create NAME` adds one)")
        return team
    if user.team_id is None:
        raise SessionError("you are not in a hiring team yet; ask an admin to add you "
                           "(`opslab user create EMAIL --role reviewer --team NAME`)", 409)
    return db().get(Team, user.team_id)


@bp.route("/assessments")
@reviewer_required
def index():
    archived = request.args.get("archived") == "1"
    return render_template("assessments.html", assessments=teams.visible_assessments(db(), g.user, archived),
                           archived=archived, templates=assessments.ROLE_TEMPLATES)


def in_order(draft: dict) -> list:
    """The catalogue with the draft's labs first, in its order (the form keeps that order)."""
    order = {item["lab"]: i for i, item in enumerate(draft.get("labs") or []) if isinstance(item, dict)}
    return sorted(catalogue(), key=lambda lab: order.get(lab.id, len(order)))


def form_body(form) -> dict:
    labs = [{"lab": lab_id, "weight": int(w) if (w := form.get(f"weight-{lab_id}", "1")).isdigit() else w}
            for lab_id in form.getlist("lab")]
    days = form.get("invite_days", "7")
    return {"title": form.get("title", ""), "role": form.get("role") or None, "labs": labs,
            "time_limit": form.get("time_limit", ""), "mode": form.get("mode", "exam"),
            "invite_days": int(days) if days.isdigit() else days}


@bp.route("/assessments/new", methods=["GET", "POST"])
@reviewer_required
def new():
    all_teams = db().scalars(select(Team).order_by(Team.name)).all() if g.user.role == Role.admin else []
    if request.method == "POST":
        body = form_body(request.form)
        try:
            a = assessments.create_assessment(db(), team_for(g.user, request.form.get("team")), body, g.user)
        except SessionError as e:
            flash(str(e), "error")
            draft = {**body, "time_limit_text": body["time_limit"]}
            return render_template("assessment_new.html", draft=draft, labs=in_order(draft), teams=all_teams,
                                   templates=assessments.ROLE_TEMPLATES), e.status
        return redirect(url_for("reviewers.detail", assessment_id=a.id))
    role = request.args.get("role")
    draft = assessments.template_draft(role) if role else {"title": "", "role": None, "labs": [],
                                                            "time_limit": 3600, "mode": "exam", "invite_days": 7}
    draft["time_limit_text"] = f"{draft['time_limit'] // 60}m"
    return render_template("assessment_new.html", draft=draft, labs=in_order(draft), teams=all_teams,
                           templates=assessments.ROLE_TEMPLATES)


@bp.route("/assessments/<int:assessment_id>/edit", methods=["GET", "POST"])
@reviewer_required
def edit(assessment_id: int):
    """Edit labs, weights, time, mode, invite expiry or title; started attempts keep theirs."""
    a = teams.assessment_or_404(db(), g.user, assessment_id)
    if request.method == "POST":
        body = {k: v for k, v in form_body(request.form).items() if k in assessments.FIELDS}
        try:
            assessments.edit_assessment(db(), a, body)
        except SessionError as e:
            flash(str(e), "error")
            draft = {**body, "time_limit_text": body["time_limit"]}
            return render_template("assessment_new.html", draft=draft, labs=in_order(draft), editing=a), e.status
        flash("Saved. Attempts already started keep the labs, time and mode they started with; "
              "invites not started yet get these.", "info")
        return redirect(url_for("reviewers.detail", assessment_id=a.id))
    draft = {"title": a.title, "role": a.role, "labs": a.labs, "time_limit_text": f"{a.time_limit // 60}m"
             if a.time_limit % 60 == 0 else f"{a.time_limit}s", "mode": a.mode.value, "invite_days": a.invite_days}
    return render_template("assessment_new.html", draft=draft, labs=in_order(draft), editing=a)


@bp.route("/assessments/<int:assessment_id>/archive", methods=["POST"])
@reviewer_required
def archive(assessment_id: int):
    """Archive (or, with restore=1, restore) an assessment."""
    a = teams.assessment_or_404(db(), g.user, assessment_id)
    restore = request.form.get("restore") == "1"
    if assessments.archive(db(), a, not restore):
        flash("Restored: it takes invites again." if restore else "Archived.", "info")
    return redirect(url_for("reviewers.detail", assessment_id=a.id))


def lab_columns(a, built: list[dict]) -> list[str]:
    """The comparison's lab columns: the assessment's labs, then any a started attempt pinned
    before an edit took them out."""
    return list(dict.fromkeys([i["lab"] for i in a.labs] + [lab["lab"] for r in built for lab in r["labs"]]))


def results(a, sort: str | None = None) -> tuple[list[dict], list[dict]]:
    """(reports, comparison rows) of every invite of an assessment, rows sorted by `sort`."""
    built = [reports.build(db(), inv, recordings()) for inv in a.invites]
    rows = [reports.summary_row(r) for r in built]
    key = sort.lstrip("-") if sort else None
    if key in SORTS:
        rows.sort(key=lambda r: (r[key] is None, r[key]), reverse=sort.startswith("-"))
    return built, rows


@bp.route("/assessments/<int:assessment_id>")
@reviewer_required
def detail(assessment_id: int):
    a = teams.assessment_or_404(db(), g.user, assessment_id)
    sort = request.args.get("sort", "-percent")
    built, rows = results(a, sort)
    return render_template("assessment.html", a=a, rows=rows, sort=sort, sorts=SORTS, columns=lab_columns(a, built))


@bp.route("/assessments/<int:assessment_id>/results.<fmt>")
@reviewer_required
def export(assessment_id: int, fmt: str):
    a = teams.assessment_or_404(db(), g.user, assessment_id)
    built, rows = results(a, request.args.get("sort"))
    if fmt == "json":
        return jsonify(assessment=a.id, title=a.title, candidates=rows, reports=built)
    if fmt != "csv":
        abort(404)
    return Response(to_csv(rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="assessment-{a.id}.csv"'})


def to_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    fields = list(dict.fromkeys(k for r in rows for k in r)) or ["invite", "candidate"]
    w = csv.DictWriter(out, fieldnames=fields)
    w.writeheader()
    for r in rows:  # a label starting with = + - @ would run as a formula in a spreadsheet
        w.writerow({k: ("'" + v if isinstance(v, str) and v[:1] in "=+-@" else v) for k, v in r.items()})
    return out.getvalue()


@bp.route("/assessments/<int:assessment_id>/invites", methods=["POST"])
@reviewer_required
def invite(assessment_id: int):
    a = teams.assessment_or_404(db(), g.user, assessment_id)
    inv, token = invites.create_invite(db(), a, request.form.get("label"), request.form.get("extra_minutes") or 0,
                                       g.user)
    flash(f"Invite for {inv.label} created. Send this link (shown once): {invites.link(token)}", "link")
    return redirect(url_for("reviewers.detail", assessment_id=a.id))


@bp.route("/invites/<int:invite_id>/revoke", methods=["POST"])
@reviewer_required
def revoke(invite_id: int):
    inv = teams.invite_or_404(db(), g.user, invite_id)
    if invites.revoke(db(), inv):
        flash(f"The invite for {inv.label} is revoked: its link now says so.", "info")
    return redirect(url_for("reviewers.detail", assessment_id=inv.assessment_id))


@bp.route("/invites/<int:invite_id>/report")
@reviewer_required
def report(invite_id: int):
    inv = teams.invite_or_404(db(), g.user, invite_id)
    allow_webassembly()  # the replay
    return render_template("report.html", r=reports.build(db(), inv, recordings()), inv=inv, skill_names=SKILLS,
                           printing=request.args.get("print") == "1")


@bp.route("/invites/<int:invite_id>/skills.svg")
@reviewer_required
def chart(invite_id: int):
    inv = teams.invite_or_404(db(), g.user, invite_id)
    r = reports.build(db(), inv, recordings())
    return Response(reports.skill_chart(r["skills"]), mimetype="image/svg+xml",
                    headers={"Cache-Control": "private, no-store"})


@bp.route("/invites/<int:invite_id>/recordings/<session_id>/<host>.cast")
@reviewer_required
def recording(invite_id: int, session_id: str, host: str):
    inv = teams.invite_or_404(db(), g.user, invite_id)
    ls = next((x for x in assessments.sessions_of(db(), inv) if x.id == session_id), None)
    path = recordings() / ls.id / f"{host}.cast" if ls is not None else None
    if path is None or path.parent != recordings() / ls.id or not path.is_file():
        abort(404)
    return send_file(path, mimetype="application/x-asciicast", max_age=0)


LIVE_CHUNK = 256 << 10  # bytes of recording per poll


@bp.route("/invites/<int:invite_id>/live")
@reviewer_required
def live(invite_id: int):
    """Read-only live watch of the candidate's open lab: its terminals as they are recorded."""
    inv = teams.invite_or_404(db(), g.user, invite_id)
    sessions = assessments.sessions_of(db(), inv)
    _, active = assessments.progress(inv, sessions)
    hosts = [h.name for h in services.load_lab(active.lab_id).hosts] if active else []
    return render_template("live.html", inv=inv, ls=active, hosts=hosts)


@bp.route("/invites/<int:invite_id>/recordings/<session_id>/<host>.json")
@reviewer_required
def recording_tail(invite_id: int, session_id: str, host: str):
    """The output events recorded since byte `from` (whole lines only), for the live watch."""
    inv = teams.invite_or_404(db(), g.user, invite_id)
    ls = next((x for x in assessments.sessions_of(db(), inv) if x.id == session_id), None)
    if ls is None:
        abort(404)
    start = request.args.get("from", "0")
    start = int(start) if start.isdigit() else 0
    path = recordings() / ls.id / f"{host}.cast"
    header, events, end = None, [], start
    if path.parent == recordings() / ls.id and path.is_file():
        with path.open("rb") as f:
            f.seek(start)
            chunk = f.read(LIVE_CHUNK)
        whole = chunk[: chunk.rfind(b"\n") + 1]
        end = start + len(whole)
        for i, line in enumerate(whole.decode("utf-8", "replace").splitlines()):
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if start == 0 and i == 0 and isinstance(item, dict):
                header = {k: item.get(k) for k in ("width", "height")}
            elif isinstance(item, list) and len(item) == 3 and item[1] == "o":
                events.append(item[2])
    return jsonify(header=header, output=events, next=end, live=ls.state.value == "ready")
