"""Invites: a single-use, expiring link is a candidate's identity for one attempt.

The link carries `secrets.token_urlsafe(32)`; only its sha256 is stored. Opening it shows
the rules; Start spends it (used_at), pins the assessment's terms to it (later edits do not
change a started attempt), creates a guest account (role invitee: no password, no
catalogue) and logs this browser in as that guest. Opening the link again while the attempt
runs resumes it (a crashed browser must not cost the candidate their attempt) and is counted
for the report; after the attempt, once expired or revoked, or its assessment archived, the
link says so plainly.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from sqlalchemy import select

from webapp import assessments, services, tasks
from webapp.auth import log_in
from webapp.db import db
from webapp.models import Assessment, Invite, Role, User, aware, utcnow
from webapp.services import SessionError

bp = Blueprint("invites", __name__)
MAX_EXTRA = 4 * 3600
# What a guest may reach: its lab pages, their API and terminal, its attempt page.
GUEST_ENDPOINTS = {"sessions.page", "api.get", "api.check", "api.grade_result", "api.hint", "api.stop",
                   "__flask_sock.terminal", "static", "auth.logout", "auth.login"}


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invite(s, a: Assessment, label: str, extra_minutes=0, by: User | None = None) -> tuple[Invite, str]:
    """A new invite and its token (shown once: only the hash is kept)."""
    if a.archived_at is not None:
        raise SessionError("this assessment is archived: it takes no new invites; restore it first", 409)
    label = str(label or "").strip()
    if not 1 <= len(label) <= 200:
        raise SessionError("label: give the candidate's name or email (1 to 200 characters)")
    try:
        extra = int(extra_minutes or 0) * 60
    except (TypeError, ValueError):
        raise SessionError(f"extra_minutes: expected a whole number, got {extra_minutes!r}") from None
    if not 0 <= extra <= MAX_EXTRA:
        raise SessionError(f"extra_minutes: expected 0 to {MAX_EXTRA // 60}")
    token = secrets.token_urlsafe(32)
    inv = Invite(assessment_id=a.id, token_hash=digest(token), label=label, extra_time=extra,
                 expires_at=utcnow() + timedelta(days=a.invite_days), created_by=by.id if by else None)
    s.add(inv)
    s.commit()
    return inv, token


def link(token: str, base: str | None = None) -> str:
    return f"{(base or request.host_url).rstrip('/')}/invite/{token}"


def find(s, token: str) -> Invite | None:
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    return s.scalar(select(Invite).where(Invite.token_hash == digest(token)))


def status(inv: Invite, now=None) -> str:
    """open | running | finished | closed (its assessment archived before Start) | expired | revoked."""
    now = now or utcnow()
    if inv.revoked_at is not None:
        return "revoked"
    if inv.finished_at is not None:
        return "finished"
    if inv.used_at is not None:
        return "running"
    if inv.assessment.archived_at is not None:
        return "closed"
    if aware(inv.expires_at) <= now:
        return "expired"
    return "open"


REFUSALS = {
    "revoked": "This invitation was withdrawn by the hiring team. If you think this is a mistake, contact them.",
    "finished": "This link was already used: the attempt it opened has ended, and your work went to the hiring "
                "team. A link is good for one attempt; ask the hiring team if you need another.",
    "expired": "This invitation expired on {date}. Ask the hiring team for a new link.",
    "closed": "This assessment is closed: the hiring team archived it, and it takes no new attempts. "
              "If you expected to take it, contact them.",
}


def refusal(inv: Invite | None) -> str | None:
    """The plain sentence a spent, expired or revoked link answers with; None if usable."""
    if inv is None:
        return "This invitation link is not valid. Check that it was copied whole, or ask the hiring team."
    st = status(inv)
    msg = REFUSALS.get(st)
    return msg.format(date=aware(inv.expires_at).strftime("%Y-%m-%d %H:%M UTC")) if msg else None


def revoke(s, inv: Invite) -> bool:
    """Withdraw an invite; a running attempt ends (its open lab is stopped and graded)."""
    if inv.finished_at is not None or inv.revoked_at is not None:
        return False
    inv.revoked_at = utcnow()
    if inv.started_at is not None or inv.used_at is not None:
        inv.finished_at = inv.revoked_at
    s.commit()
    for ls in assessments.sessions_of(s, inv):
        if services.stop(s, ls):
            tasks.enqueue_finish(ls.id)
    return True


def start(s, inv: Invite, config, holder: User | None = None) -> User:
    """Spend the link (or resume its running attempt) and return the guest it logs in as;
    a resume from another browser than `holder` (the guest already logged in) is counted."""
    if refusal(inv):
        raise SessionError(refusal(inv), 410)
    if inv.guest_id is None:
        guest = User(email=f"invite-{inv.id}-{secrets.token_hex(4)}@invitee.invalid", password_hash="!",
                     role=Role.invitee)
        s.add(guest)
        s.flush()
        inv.guest_id, inv.used_at = guest.id, utcnow()
        inv.terms = assessments.pin(inv.assessment)  # what this attempt runs under, edits or not
    elif holder is None or holder.id != inv.guest_id:
        inv.reopened += 1
    s.commit()
    return s.get(User, inv.guest_id)


def current_invite() -> Invite | None:
    if g.get("user") is None or g.user.role != Role.invitee:
        return None
    return db().scalar(select(Invite).where(Invite.guest_id == g.user.id))


@bp.before_app_request
def fence_guests():
    """A guest reaches only its attempt, its labs and their terminal; a revoked attempt nothing."""
    if g.get("user") is None or g.user.role != Role.invitee or request.blueprint == "invites":
        return None
    inv = current_invite()
    if inv is None or inv.revoked_at is not None or request.endpoint not in GUEST_ENDPOINTS:
        return redirect(url_for("invites.attempt"))
    return None


@bp.app_context_processor
def attempt_helpers():
    def attempt_of(ls):
        if getattr(ls, "invite_id", None) is None:
            return None
        inv = db().get(Invite, ls.invite_id)
        if inv is None:
            return None
        t = assessments.terms(inv)
        labs = [item["lab"] for item in t.labs]
        return {"mode": t.mode.value, "title": inv.assessment.title, "url": url_for("invites.attempt"),
                "lab": labs.index(ls.lab_id) + 1 if ls.lab_id in labs else None, "labs": len(labs)}

    return {"attempt_of": attempt_of}


@bp.route("/invite/<token>")
def rules(token: str):
    inv = find(db(), token)
    msg = refusal(inv)
    if msg:
        return render_template("invite_refused.html", message=msg), 404 if inv is None else 410
    if g.get("user") is not None and g.user.id == inv.guest_id:
        return redirect(url_for("invites.attempt"))  # this browser holds the attempt already
    return rules_page(inv, token)


def terms_digest(t: assessments.Terms) -> str:
    """A short fingerprint of the terms the rules page showed (Start checks it is still so)."""
    return hashlib.sha256(f"{t.labs!r}|{t.time_limit}|{t.mode.value}".encode()).hexdigest()[:16]


def rules_page(inv: Invite, token: str, changed: bool = False, status: int = 200):
    t = assessments.terms(inv)
    return render_template("invite_rules.html", inv=inv, a=inv.assessment, t=t, token=token, changed=changed,
                           digest=terms_digest(t), labs=[services.load_lab(i["lab"]) for i in t.labs]), status


@bp.route("/invite/<token>/start", methods=["POST"])
def begin(token: str):
    s = db()
    inv = find(s, token)
    msg = refusal(inv)
    if msg:
        return render_template("invite_refused.html", message=msg), 404 if inv is None else 410
    shown = request.form.get("terms")
    if inv.used_at is None and shown and shown != terms_digest(assessments.terms(inv)):
        return rules_page(inv, token, changed=True, status=409)  # edited since the page was read
    guest = start(s, inv, current_app.config, g.get("user"))
    log_in(guest)  # the link is the candidate's identity for this attempt
    return next_lab(inv)


def next_lab(inv: Invite):
    ls = assessments.advance(db(), inv, current_app.config)
    if ls is None:
        return redirect(url_for("invites.attempt"))
    if ls.state.value == "requested":
        tasks.enqueue_provision(ls.id)  # after commit: the worker finds the row
    return redirect(url_for("sessions.page", session_id=ls.id))


@bp.route("/attempt")
def attempt():
    inv = current_invite()
    if inv is None:
        abort(404)
    if inv.revoked_at is not None:
        return render_template("invite_refused.html", message=REFUSALS["revoked"]), 410
    s = db()
    assessments.refresh(s, inv)
    sessions = assessments.sessions_of(s, inv)
    index, active = assessments.progress(inv, sessions)
    return render_template("attempt.html", inv=inv, a=inv.assessment, t=assessments.terms(inv), index=index,
                           active=active,
                           clock=assessments.clock(inv, sessions), sessions=sessions)


@bp.route("/attempt/next", methods=["POST"])
def advance():
    inv = current_invite()
    if inv is None:
        abort(404)
    if inv.revoked_at is not None:
        return render_template("invite_refused.html", message=REFUSALS["revoked"]), 410
    return next_lab(inv)
