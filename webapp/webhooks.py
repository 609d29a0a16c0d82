"""Signed webhooks: a team's endpoint hears when a candidate's attempt is graded.

POST, JSON body, header `X-Opslab-Signature: t=<unix time>,v1=<hex>` where v1 is
HMAC-SHA256 with the team's secret over `<t>.<body>`; receivers recompute it and refuse
old timestamps. Delivery is claimed with one conditional UPDATE (a task delivered twice
posts once), retried with backoff, and the sweep queues again what was never delivered
within a day of the attempt's end.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

from celery import shared_task
from flask import current_app
from sqlalchemy import or_, select, update

from webapp.db import session_scope
from webapp.models import Assessment, Invite, LabSession, State, Team, aware, utcnow

log = logging.getLogger(__name__)
HEADER = "X-Opslab-Signature"
SETTLED = (State.graded, State.destroyed, State.failed)
CLAIM_FOR = timedelta(minutes=15)
GIVE_UP_AFTER = timedelta(days=1)
TIMEOUT = 10


def sign(secret: str, body: bytes, t: int) -> str:
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def settled(s, inv: Invite) -> bool:
    """Finished, and every lab's final grade done (no sandbox still owed one)."""
    if inv.finished_at is None:
        return False
    sessions = s.scalars(select(LabSession).where(LabSession.invite_id == inv.id)).all()
    return all(ls.state in SETTLED for ls in sessions)


def due(s, now=None) -> list[int]:
    """Graded attempts of teams with a webhook, not delivered and not being delivered."""
    now = now or utcnow()
    rows = s.scalars(select(Invite).join(Assessment).join(Team).where(
        Team.webhook_url.is_not(None), Invite.finished_at.is_not(None), Invite.notified_at.is_(None))
        .execution_options(populate_existing=True)).all()  # claims are made by UPDATE: re-read them
    return [inv.id for inv in rows
            if aware(inv.finished_at) > now - GIVE_UP_AFTER and settled(s, inv)
            and (inv.notify_claimed_at is None or aware(inv.notify_claimed_at) < now - CLAIM_FOR)]


def claim(s, invite_id: int) -> bool:
    now = utcnow()
    done = s.execute(update(Invite).where(
        Invite.id == invite_id, Invite.notified_at.is_(None),
        or_(Invite.notify_claimed_at.is_(None), Invite.notify_claimed_at < now - CLAIM_FOR))
        .values(notify_claimed_at=now).execution_options(synchronize_session=False))
    s.commit()
    return done.rowcount == 1


def payload(s, inv: Invite, recordings: Path) -> dict:
    from webapp import reports

    r = reports.build(s, inv, recordings)
    return {"event": "attempt.graded", "invite": inv.id, "candidate": inv.label, "status": r["invite"]["status"],
            "assessment": r["assessment"], "percent": r["percent"], "time": r["time"],
            "labs": [{"lab": lab["lab"], "score": lab["score"], "max_score": lab["max_score"]} for lab in r["labs"]],
            "flags": r["flags"], "report": f"/api/v1/invites/{inv.id}/report"}


def post(url: str, body: bytes, headers: dict) -> int:
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:  # noqa: S310 - an admin's http(s) URL
        return resp.status


def deliver(s, invite_id: int, recordings: Path, send=post) -> None:
    """Post the graded attempt to its team's webhook; raise on failure (the task retries)."""
    inv = s.get(Invite, invite_id, populate_existing=True)
    team = inv.assessment.team if inv else None
    if inv is None or inv.notified_at is not None or not team.webhook_url:
        return
    body = json.dumps(payload(s, inv, recordings), sort_keys=True).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "opslab-webhook",
               HEADER: sign(team.webhook_secret or "", body, int(time.time()))}
    status = send(team.webhook_url, body, headers)
    if not 200 <= status < 300:
        raise OSError(f"webhook {team.webhook_url} answered HTTP {status}")
    inv.notified_at = utcnow()
    s.commit()


@shared_task(name="webapp.webhooks.deliver", bind=True, acks_late=True, max_retries=6)
def deliver_task(self, invite_id: int) -> None:
    with session_scope(current_app) as s:
        if self.request.retries == 0 and not claim(s, invite_id):
            return  # another delivery holds it
        try:
            deliver(s, invite_id, Path(current_app.config["RECORDINGS_DIR"]))
        except OSError as e:  # unreachable or refused: retried with backoff (2 s … ~2 min)
            log.warning("webhook for invite %s failed: %s", invite_id, e)
            raise self.retry(exc=e, countdown=2 ** (self.request.retries + 1)) from None


def enqueue_due(s) -> None:
    for invite_id in due(s):
        deliver_task.delay(invite_id)


def after_lab(s, session_id: str) -> None:
    """A lab's final grade is done: if it ended its attempt, the team hears of it."""
    from webapp import assessments

    ls = s.get(LabSession, session_id)
    inv = s.get(Invite, ls.invite_id) if ls is not None and ls.invite_id is not None else None
    if inv is not None:
        assessments.refresh(s, inv)
        enqueue_due(s)


def set_webhook(s, team: Team, url: str | None) -> str | None:
    """Point a team's webhook at an http(s) URL (a new secret, returned once) or turn it off."""
    if url is None:
        team.webhook_url = team.webhook_secret = None
        s.commit()
        return None
    if not url.startswith(("https://", "http://")) or len(url) > 500:
        raise ValueError(f"{url!r} is not an http(s) URL of at most 500 characters")
    import secrets

    team.webhook_url, team.webhook_secret = url, secrets.token_hex(32)
    s.commit()
    return team.webhook_secret
