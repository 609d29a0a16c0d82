"""Timed assessments as plain functions: role templates, building an assessment, and the
attempt an invite opens — its clock, held by the server, and its labs one after another.

The clock starts when the first sandbox is ready. Time the platform takes from the
candidate is credited: waiting for each later lab's sandbox, and the time in a lab whose
sandbox failed (not one the candidate filled). Every lab session of the attempt gets the
attempt's deadline, so the ordinary expiry task and sweep end it whatever the browser does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from grader.schema import parse_duration
from grader.skills import SKILLS
from webapp import services
from webapp.catalogue import catalogue
from webapp.models import ACTIVE, Assessment, Invite, LabSession, Mode, State, Team, User, aware, utcnow
from webapp.services import SessionError


@dataclass(frozen=True)
class RoleTemplate:
    title: str
    skills: tuple[str, ...]   # what the role needs, most important first (grader.skills ids)
    max_labs: int = 4
    budget: int = 150 * 60    # seconds: the template stops adding labs past this


ROLE_TEMPLATES: dict[str, RoleTemplate] = {
    "lead-infrastructure-engineer": RoleTemplate("Lead Infrastructure Engineer", (
        "linux", "networking", "iac", "terraform", "storage", "databases", "network-controls",
        "security", "disaster-recovery", "capacity", "ansible", "kubernetes")),
    "devops-team-lead": RoleTemplate("DevOps Team Lead", (
        "ci-cd", "containers", "kubernetes", "monitoring", "prometheus", "incident-response",
        "iac", "ansible", "web-servers", "linux", "scripting")),
}
assert all(s in SKILLS for t in ROLE_TEMPLATES.values() for s in t.skills)

MAX_LABS, MAX_WEIGHT = 10, 10
LEVELS = ("beginner", "intermediate", "advanced")
TIME_LIMITS = (60, 8 * 3600)
HINT_COST = 0.25  # of a task's points, per hint shown, taken only from tasks passed (practice mode)
SANDBOX_FULL = "the sandbox filled its disk"  # the candidate's doing: not credited


def role_template(key: str) -> RoleTemplate:
    try:
        return ROLE_TEMPLATES[key]
    except KeyError:
        raise SessionError(f"no role template {key!r}; known: {', '.join(ROLE_TEMPLATES)}", 400) from None


def template_draft(key: str) -> dict:
    """The labs covering most of a role's skills, greedily (the lab that adds the most
    uncovered skills first, the shorter on a tie), each weighted by the role skills it
    covers; the time limit is the sum of their durations."""
    tpl = role_template(key)
    wanted, picked, total = set(tpl.skills), [], 0
    pool = list(catalogue())
    while pool and len(picked) < tpl.max_labs:
        gain = lambda lab, wanted=wanted: len(wanted & set(lab.spec.skills))  # noqa: E731
        best = max(pool, key=lambda lab: (gain(lab), -lab.duration_seconds))
        if gain(best) == 0 or (picked and total + best.duration_seconds > tpl.budget):
            break
        pool.remove(best)
        covered = set(tpl.skills) & set(best.spec.skills)
        picked.append((best, {"lab": best.id, "weight": len(covered)}))
        wanted -= covered
        total += best.duration_seconds
    picked.sort(key=lambda p: (LEVELS.index(p[0].spec.difficulty) if p[0].spec.difficulty in LEVELS else 9,
                               p[0].duration_seconds))  # the candidate warms up on the easier labs
    return {"title": tpl.title, "role": key, "labs": [item for _lab, item in picked], "time_limit": total or 3600,
            "mode": Mode.exam.value, "invite_days": 7}


def _labs(value) -> list[dict]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_LABS:
        raise SessionError(f"labs: expected 1 to {MAX_LABS} labs, each {{\"lab\": id, \"weight\": 1-{MAX_WEIGHT}}}")
    out = []
    for i, item in enumerate(value):
        lab_id = item.get("lab") if isinstance(item, dict) else None
        weight = item.get("weight", 1) if isinstance(item, dict) else None
        if not isinstance(weight, int) or isinstance(weight, bool) or not 1 <= weight <= MAX_WEIGHT:
            raise SessionError(f"labs[{i}].weight: expected a whole number from 1 to {MAX_WEIGHT}, got {weight!r}")
        lab = services.load_lab(lab_id)  # 404 unknown, 409 broken
        if any(o["lab"] == lab.id for o in out):
            raise SessionError(f"labs[{i}]: {lab.id} is already in the assessment")
        out.append({"lab": lab.id, "weight": weight})
    return out


def _seconds(value) -> int:
    try:
        seconds = parse_duration(value) if not isinstance(value, bool) else 0
    except ValueError as e:
        raise SessionError(f"time_limit: {e}") from None
    if not TIME_LIMITS[0] <= seconds <= TIME_LIMITS[1]:
        raise SessionError(f"time_limit: expected 1 minute to 8 hours, got {seconds} s")
    return seconds


def create_assessment(s, team: Team, body: dict, by: User | None = None) -> Assessment:
    """Validate a draft (as template_draft returns, edited) and store it; SessionError names
    the field that is wrong."""
    title = str(body.get("title") or "").strip()
    if not 1 <= len(title) <= 200:
        raise SessionError("title: expected 1 to 200 characters")
    mode = body.get("mode", Mode.exam.value)
    if mode not in Mode.__members__:
        raise SessionError(f"mode: expected exam or practice, got {mode!r}")
    days = body.get("invite_days", 7)
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 90:
        raise SessionError(f"invite_days: expected 1 to 90, got {days!r}")
    role = body.get("role") or None
    if role is not None:
        role_template(role)
    a = Assessment(team_id=team.id, title=title, role=role, labs=_labs(body.get("labs")),
                   time_limit=_seconds(body.get("time_limit")), mode=Mode(mode), invite_days=days,
                   created_by=by.id if by else None)
    s.add(a)
    s.commit()
    return a


# -- the clock ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Clock:
    limit: int                   # seconds: the assessment's limit plus the invite's extra time
    used: int
    credited: int
    left: int
    deadline: datetime | None    # None until the first sandbox is ready


def platform_failed(ls: LabSession) -> bool:
    return ls.state == State.failed and not (ls.failure_reason or "").startswith(SANDBOX_FULL)


def clock(inv: Invite, sessions: list[LabSession], now: datetime | None = None) -> Clock:
    """Time used, credited and left on an attempt at `now` (pure: the unit tests drive it)."""
    now = now or utcnow()
    limit = inv.assessment.time_limit + inv.extra_time
    if inv.started_at is None:
        return Clock(limit, 0, 0, limit, None)
    start = aware(inv.started_at)
    credited = 0.0
    for ls in sessions:
        created, ready, ended = aware(ls.created_at), aware(ls.ready_at), aware(ls.ended_at)
        if created > start:  # a later lab: waiting for its sandbox is the platform's time
            credited += max(0.0, ((ready or min(ended or now, now)) - created).total_seconds())
        if ready and platform_failed(ls):
            credited += max(0.0, (min(ended or now, now) - ready).total_seconds())
    end = min(aware(inv.finished_at) or now, now)
    used = max(0, int((end - start).total_seconds() - credited))
    return Clock(limit, used, int(credited), max(0, limit - used),
                 start + timedelta(seconds=limit + int(credited)))


def sessions_of(s, inv: Invite) -> list[LabSession]:
    return list(s.scalars(select(LabSession).where(LabSession.invite_id == inv.id).order_by(LabSession.created_at)))


# -- hooks called by webapp.services -------------------------------------------------------------

def on_ready(s, ls: LabSession) -> None:
    """A lab of an attempt is ready: the attempt's clock starts (first lab), and the lab's
    deadline is the attempt's (the caller commits)."""
    inv = s.get(Invite, ls.invite_id)
    if inv is None:
        return
    if inv.started_at is None:
        inv.started_at = ls.ready_at
    ls.deadline = clock(inv, sessions_of(s, inv), aware(ls.ready_at)).deadline


def allow(s, ls: LabSession, action: str) -> None:
    """Exam mode: no Check and no hints (the labs are graded when they end)."""
    inv = s.get(Invite, ls.invite_id)
    if inv is not None and inv.assessment.mode == Mode.exam:
        what = {"check": "Checks", "hint": "hints"}.get(action, action)
        raise SessionError(f"this is an exam: {what} are not available; your work is graded when the lab ends", 409)


# -- the attempt: labs one after another ---------------------------------------------------------

DONE = (State.submitted, State.expired, State.graded, State.destroyed)
MAX_TRIES = 3  # a lab whose sandbox fails this often is skipped (and flagged in the report)


def progress(inv: Invite, sessions: list[LabSession]) -> tuple[int, LabSession | None]:
    """(index of the lab to do next, the active session if any)."""
    active = next((ls for ls in sessions if ls.state in ACTIVE), None)
    index = 0
    for item in inv.assessment.labs:
        mine = [ls for ls in sessions if ls.lab_id == item["lab"]]
        if any(ls.state in DONE for ls in mine) or sum(ls.state == State.failed for ls in mine) >= MAX_TRIES:
            index += 1
        else:
            break
    return index, active


def refresh(s, inv: Invite, now: datetime | None = None) -> None:
    """Mark the attempt finished when every lab is done, or its time is up with no lab open."""
    if inv.started_at is None or inv.finished_at is not None:
        return
    sessions = sessions_of(s, inv)
    index, active = progress(inv, sessions)
    c = clock(inv, sessions, now)
    if active is None and (index >= len(inv.assessment.labs) or c.left <= 0):
        inv.finished_at = min(now or utcnow(), c.deadline)
        s.commit()


def advance(s, inv: Invite, config) -> LabSession | None:
    """The attempt's open lab, or the next one started (the caller enqueues provisioning);
    None when the attempt is over."""
    s.execute(select(Invite.id).where(Invite.id == inv.id).with_for_update())  # one start at a time
    refresh(s, inv)
    if inv.finished_at is not None:
        return None
    sessions = sessions_of(s, inv)
    index, active = progress(inv, sessions)
    if active is not None:
        return active
    if index >= len(inv.assessment.labs):  # every lab skipped before the clock ever started
        inv.finished_at = utcnow()
        s.commit()
        return None
    guest = s.get(User, inv.guest_id)  # one lab at a time: the per-user cap (a row lock) says so
    return services.start_session(s, guest, inv.assessment.labs[index]["lab"], {**config, "MAX_SESSIONS_PER_USER": 1},
                                  invite_id=inv.id)


def due(s, now: datetime | None = None) -> list[int]:
    """The sweep's part: attempts out of time with no lab open are finished."""
    rows = s.scalars(select(Invite).where(Invite.started_at.is_not(None), Invite.finished_at.is_(None))).all()
    for inv in rows:
        refresh(s, inv, now)
    return [inv.id for inv in rows if inv.finished_at is not None]
