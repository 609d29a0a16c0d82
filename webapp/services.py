"""Session life cycle as plain functions: the views, the API and Celery tasks call these.

Each function re-reads state by id, returns early when its work is already done (so a
task redelivered after a worker crash does no harm), and commits every state change
before the side effect it triggers (creating or destroying a sandbox, grading).
"""

from __future__ import annotations

import logging
import os
import re
import socket
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, text, update

from opslab import engine
from opslab.engine import Lab, LabError, LabNotFound
from webapp import pools
from webapp.models import ACTIVE, Grade, LabSession, Role, State, User, aware, utcnow

log = logging.getLogger(__name__)
START_LOCK = 0x6F70736C  # "opsl": PostgreSQL advisory lock key taken by every start
STALE_CLAIM = timedelta(minutes=6)  # past any setup script (5 min): a claim from another host lapses
LAB_ID = re.compile(r"^[a-z][a-z0-9-]{0,62}[a-z0-9]$")  # as grader.schema.SLUG: refused before any file is read


class SessionError(Exception):
    """A request the platform refuses, with a message for the person who made it."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def load_lab(lab_id: str) -> Lab:
    """A lab of the catalogue, or a SessionError saying what to do (404 unknown, 409 broken)."""
    if not isinstance(lab_id, str) or not LAB_ID.fullmatch(lab_id):
        raise SessionError(f"{str(lab_id)[:80]!r} is not a lab id; GET /api/v1/labs lists them", 404)
    try:
        return engine.find_lab_cached(lab_id)
    except LabNotFound as e:
        raise SessionError(str(e), 404) from None
    except LabError:
        raise SessionError(f"lab {lab_id} is being repaired by its authors; try another lab", 409) from None


def session_lab(ls: LabSession) -> Lab:
    """The lab as the session started it (pinned by the engine), so editing a lab never breaks
    a running session; today's version when that copy is gone."""
    try:
        return engine.lab_for_session(ls.lab_id, ls.lab_version, ls.id)
    except engine.LabChanged:
        return load_lab(ls.lab_id)
    except (LabError, LabNotFound):
        return load_lab(ls.lab_id)  # the SessionError that explains it


def _serialize_starts(s, user: User) -> None:
    """Make the caps' count-then-insert one atomic step: starts take a lock held until commit.
    SQLite ignores FOR UPDATE, but its first write takes the database's one write lock, so a
    no-op UPDATE serializes every start; PostgreSQL takes a transaction advisory lock."""
    dialect = s.get_bind().dialect.name
    if dialect == "sqlite":
        s.execute(update(User).where(User.id == user.id).values(id=User.id)
                  .execution_options(synchronize_session=False))
    elif dialect == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": START_LOCK})
    else:
        s.execute(select(User.id).where(User.id == user.id).with_for_update())


def start_session(s, user: User, lab_id: str, config: dict, invite_id: int | None = None) -> LabSession:
    """Record a requested session after the capacity checks; the caller enqueues provisioning
    (safe to repeat). Starting a lab the user already has running resumes that session. A
    ready member of the lab's warm pool (webapp.pools) makes it ready at once: the clock
    starts now, and provisioning has nothing left to do."""
    lab = load_lab(lab_id)
    _serialize_starts(s, user)
    running = s.scalar(select(LabSession).where(LabSession.user_id == user.id, LabSession.lab_id == lab.id,
                                                 LabSession.state.in_(ACTIVE)).order_by(LabSession.created_at.desc()))
    if running is not None:
        s.commit()  # let go of the start lock
        return running
    mine = s.scalar(select(func.count()).select_from(LabSession)
                    .where(LabSession.user_id == user.id, LabSession.state.in_(ACTIVE)))
    if mine >= config["MAX_SESSIONS_PER_USER"]:
        raise SessionError(f"you already have {mine} labs running (the limit is "
                           f"{config['MAX_SESSIONS_PER_USER']}); stop one before starting another", 429)
    member = pools.claim(s, lab)
    if member is None:
        full = running_count(s) >= config["CAPACITY"]  # then the Start waits in line (admit)
        ls = LabSession(id=engine.new_session_id(), user_id=user.id, lab_id=lab.id, lab_version=lab.version,
                        state=State.requested, hints_revealed={}, invite_id=invite_id,
                        queued_at=utcnow() if full else None,
                        progress="waiting for a free sandbox" if full else "waiting for a worker")
        s.add(ls)
        s.commit()
        return ls
    now = utcnow()
    ls = LabSession(id=member, user_id=user.id, lab_id=lab.id, lab_version=lab.version, state=State.ready,
                    progress="ready", hints_revealed={}, invite_id=invite_id, ready_at=now,
                    deadline=now + timedelta(seconds=lab.duration_seconds))
    s.add(ls)
    if invite_id is not None:  # a timed assessment: the attempt's clock sets the deadline
        from webapp import assessments

        s.flush()
        assessments.on_ready(s, ls)
    s.commit()
    return ls


def running_count(s) -> int:
    """Sessions that hold (or are getting) a sandbox: what OPSLAB_CAPACITY bounds."""
    return s.scalar(select(func.count()).select_from(LabSession)
                    .where(LabSession.state.in_(ACTIVE), LabSession.queued_at.is_(None)))


def queue_place(s, ls: LabSession) -> dict | None:
    """Where a waiting Start stands: {"position": n, "estimate_seconds": s or None}. The n-th
    slot to free is at the latest the n-th earliest deadline of the running sessions (a
    Stop frees one sooner); None when the session is not waiting."""
    if ls.queued_at is None or ls.state != State.requested:
        return None
    ahead = s.scalar(select(func.count()).select_from(LabSession).where(
        LabSession.state == State.requested, LabSession.queued_at.is_not(None),
        or_(LabSession.queued_at < ls.queued_at, (LabSession.queued_at == ls.queued_at) & (LabSession.id < ls.id))))
    position = ahead + 1
    deadlines = s.scalars(select(LabSession.deadline).where(
        LabSession.state == State.ready, LabSession.deadline.is_not(None))
        .order_by(LabSession.deadline).limit(position)).all()
    estimate = (max(0, int((aware(deadlines[-1]) - utcnow()).total_seconds()))
                if len(deadlines) == position else None)
    return {"position": position, "estimate_seconds": estimate}


def admit(s, config: dict) -> list[str]:
    """Let waiting Starts in, oldest first, while there is capacity; returns their ids (the
    caller enqueues provisioning). One admitter at a time (the start lock), so two never
    fill the same slot. An admitted start counts from now (the provisioning timeout too)."""
    first = s.scalar(select(LabSession).where(LabSession.queued_at.is_not(None), LabSession.state == State.requested)
                     .order_by(LabSession.queued_at, LabSession.id).limit(1))
    if first is None:
        return []
    _serialize_starts(s, first.user)
    free = config["CAPACITY"] - running_count(s)
    waiting = s.scalars(select(LabSession.id).where(LabSession.queued_at.is_not(None), LabSession.state == State.requested)
                        .order_by(LabSession.queued_at, LabSession.id).limit(max(free, 0))).all()
    admitted = [sid for sid in waiting if s.execute(
        update(LabSession).where(LabSession.id == sid, LabSession.queued_at.is_not(None), LabSession.state == State.requested)
        .values(queued_at=None, created_at=utcnow(), progress="waiting for a worker")
        .execution_options(synchronize_session=False)).rowcount == 1]
    s.commit()
    return admitted


def can_access(user: User | None, ls: LabSession) -> bool:
    return user is not None and (ls.user_id == user.id or user.role == Role.admin)


def _readable(exc: BaseException) -> str | None:
    """A sentence a candidate can act on for an expected failure; None for a bug."""
    return str(exc) if isinstance(exc, SessionError) else engine.describe_failure(exc)


def worker_id() -> str:
    """This process, as a claim names it: "host:pid"."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _claim_alive(claimed_by: str | None, claimed_at: datetime | None) -> bool:
    """Is the worker that claimed a start still at it? On this machine: its process is alive.
    Elsewhere (another host's worker): until STALE_CLAIM has passed."""
    if not claimed_by or not claimed_at:
        return False
    host, _, pid = claimed_by.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
    return aware(claimed_at) > utcnow() - STALE_CLAIM


def _claim_start(s, ls: LabSession) -> bool:
    """Take the sandbox start for this worker with one conditional UPDATE (compare and set),
    unless a live worker holds it: a task delivered twice never starts the sandbox twice."""
    state, holder = ls.state, ls.claimed_by
    if state == State.provisioning and _claim_alive(holder, ls.claimed_at):
        return False
    holder_is = LabSession.claimed_by.is_(None) if holder is None else LabSession.claimed_by == holder
    taken = s.execute(update(LabSession).where(LabSession.id == ls.id, LabSession.state == state, holder_is)
                      .values(state=State.provisioning, claimed_by=worker_id(), claimed_at=utcnow(),
                              progress="creating the sandbox")
                      .execution_options(synchronize_session=False))
    s.commit()
    s.refresh(ls)
    return taken.rowcount == 1


def _finish_start(s, ls: LabSession, **values) -> bool:
    """Move a start this worker holds out of `provisioning` (to ready or failed), only if it is
    still provisioning and still ours: a Stop meanwhile wins, and a takeover is left alone."""
    moved = s.execute(update(LabSession).where(LabSession.id == ls.id, LabSession.state == State.provisioning,
                                               LabSession.claimed_by == worker_id())
                      .values(**values).execution_options(synchronize_session=False))
    s.commit()
    s.refresh(ls)
    return moved.rowcount == 1


def provision(s, session_id: str) -> None:
    """Create the sandbox and run setup; the clock starts when it is ready. Every failure
    ends in `failed` with a reason a person can read; every move out of `provisioning` is a
    conditional update, so a Stop during provisioning wins and the sandbox is removed."""
    ls = s.get(LabSession, session_id)
    if ls is None or ls.state not in (State.requested, State.provisioning):
        return  # already done (or stopped) — a redelivered task has nothing to do
    if ls.queued_at is not None:
        return  # waiting in line for capacity: admission queues it again (admit)
    redelivered = ls.state == State.provisioning
    if not _claim_start(s, ls):
        return  # a live worker is starting it
    try:
        lab = load_lab(ls.lab_id)
        if redelivered:  # a previous attempt died half-way: start from a clean slate
            engine.destroy_sandbox(session_id)

        def progress(msg: str) -> None:
            s.execute(update(LabSession).where(LabSession.id == session_id, LabSession.state == State.provisioning)
                      .values(progress=msg[:200]).execution_options(synchronize_session=False))
            s.commit()

        engine.start_lab(lab, session=session_id, progress=progress)
    except Exception as e:  # every failure ends in `failed` with a readable reason
        reason = _readable(e)
        if not _finish_start(s, ls, state=State.failed, progress="", ended_at=utcnow(),
                             failure_reason=reason or "the sandbox could not be created; please try again"):
            if ls.claimed_by == worker_id():  # stopped meanwhile (which is why it broke): clean up
                engine.destroy_sandbox(session_id)
            return
        if reason is None:
            raise
        return
    ready_at = utcnow()
    if not _finish_start(s, ls, state=State.ready, progress="ready", ready_at=ready_at, lab_version=lab.version,
                         deadline=ready_at + timedelta(seconds=lab.duration_seconds)):  # the clock starts now
        if ls.claimed_by == worker_id():  # stopped or failed meanwhile: the sandbox must not outlive it
            engine.destroy_sandbox(session_id)
        return
    if ls.invite_id is not None:  # a timed assessment: the attempt's clock sets the deadline
        from webapp import assessments

        assessments.on_ready(s, ls)
        s.commit()


def stalled_starts(s, unclaimed_after: int = 60) -> list[str]:
    """Starts to queue again: requested a while ago and never claimed (the task was lost on
    the way, e.g. Redis was away), or claimed by a worker that has died."""
    cutoff = utcnow() - timedelta(seconds=unclaimed_after)
    rows = s.scalars(select(LabSession).where(LabSession.state.in_((State.requested, State.provisioning)),
                                              LabSession.queued_at.is_(None))).all()
    return [r.id for r in rows
            if (r.state == State.requested and aware(r.created_at) < cutoff)
            or (r.state == State.provisioning and not _claim_alive(r.claimed_by, r.claimed_at))]


def request_grade(s, ls: LabSession, final: bool = False) -> Grade:
    """Record a grade for a ready session (a Check), or its final grade; the caller enqueues it."""
    if not final:
        if ls.invite_id is not None:
            from webapp import assessments

            assessments.allow(s, ls, "check")  # exam mode: graded only when the lab ends
        if ls.state != State.ready:
            raise SessionError(f"this lab is {ls.state.value}; checks run only while it is ready", 409)
        if ls.deadline and aware(ls.deadline) <= utcnow():
            raise SessionError("time is up: the final grade is on its way", 409)
        fail_lost_checks(s, [g for g in ls.grades if g.done_at is None])
        if any(g.done_at is None for g in ls.grades):
            raise SessionError("a check is already running for this lab; wait for its result", 409)
    g = Grade(session_id=ls.id, final=final)
    s.add(g)
    s.commit()
    return g


LOST_CHECK_AFTER = timedelta(minutes=10)  # far past any lab's check budget


class GradeInFlight(Exception):
    """A Check is still grading this sandbox; the final grade waits for it (tasks retry)."""


def _lost(g: Grade, now: datetime) -> bool:
    """Not done, and neither claimed nor finished by a worker within LOST_CHECK_AFTER."""
    since = aware(g.started_at or g.created_at)
    return g.done_at is None and since < now - LOST_CHECK_AFTER


def fail_lost_checks(s, grades=None) -> list[int]:
    """A Check whose task vanished (a worker lost for good, a queue nobody reads) would stay
    "running" and refuse every later Check; past LOST_CHECK_AFTER it ends with an error."""
    if grades is None:
        grades = s.scalars(select(Grade).where(Grade.done_at.is_(None), Grade.final.is_(False))).all()
    now = utcnow()
    lost = [g for g in grades if not g.final and _lost(g, now)]
    for g in lost:
        g.error, g.done_at = "this check was lost on the way; press Check again", now
    if lost:
        s.commit()
    return [g.id for g in lost]


def _claim(s, g: Grade) -> bool:
    """Take the grading for this worker: one UPDATE, so two deliveries of the same task (or
    two finish tasks) never grade the same sandbox at once. A claim older than
    LOST_CHECK_AFTER is taken over: its worker is gone."""
    now = utcnow()
    claimed = s.execute(update(Grade).where(
        Grade.id == g.id, Grade.done_at.is_(None),
        or_(Grade.started_at.is_(None), Grade.started_at < now - LOST_CHECK_AFTER)).values(started_at=now)
        .execution_options(synchronize_session=False))  # the database decides, then `g` is re-read
    s.commit()
    s.refresh(g)
    return claimed.rowcount == 1


def grade(s, grade_id: int) -> None:
    """Grade the session's sandbox and store the Report; every failure is recorded on the
    grade as a sentence (never a grade left pending that blocks the next Check)."""
    g = s.get(Grade, grade_id)
    if g is None or g.done_at is not None or not _claim(s, g):
        return
    ls = g.session
    try:
        lab = engine.lab_for_session(ls.lab_id, ls.lab_version, ls.id)
        g.report = engine.grade_session(ls.id, lab).to_dict()
    except Exception as e:  # noqa: BLE001 - recorded for the candidate; a bug is logged in full
        g.error = _readable(e)
        if g.error is None:
            log.exception("grading %s (grade %s) failed", ls.id, g.id)
            g.error = "grading failed on the platform's side; press Check again (the error was logged)"
    g.done_at = utcnow()
    s.commit()


def ending(ls: LabSession) -> dict:
    """How a session ended, for the finish view: time-up or stopped, time used, hints used."""
    ended = None
    if ls.ended_at and ls.state not in ACTIVE:
        timed_out = ls.deadline is not None and aware(ls.ended_at) >= aware(ls.deadline) - timedelta(seconds=1)
        ended = "time-up" if timed_out else "failed" if ls.state == State.failed else "stopped"
    used = None
    if ls.ready_at:
        used = int(((aware(ls.ended_at) if ls.ended_at else utcnow()) - aware(ls.ready_at)).total_seconds())
    return {"ended": ended, "seconds_used": used, "hints_used": sum((ls.hints_revealed or {}).values())}


def next_lab(s, ls: LabSession) -> dict | None:
    """A lab to try next: one sharing a skill with this one that the user has not finished."""
    done = set(s.scalars(select(LabSession.lab_id).where(LabSession.user_id == ls.user_id,
                                                         LabSession.state.in_((State.graded, State.destroyed)))))
    skills = set(session_lab(ls).spec.skills)
    others = [lab for lab in engine.catalogue() if lab.id != ls.lab_id and lab.id not in done]
    best = sorted(others, key=lambda lab: (-len(skills & set(lab.spec.skills)), lab.id))
    return {"id": best[0].id, "title": best[0].spec.title} if best else None


def fail_grade(s, g: Grade, reason: str) -> None:
    """End a grade that cannot run with a sentence (it must not block the next Check)."""
    g.error, g.done_at = reason, utcnow()
    s.commit()


def grade_view(g: Grade) -> dict:
    """The one candidate view of a grade (API, page, CLI and `lab validate` all show
    Report.candidate_view()): done, the report's view, and the one sentence that explains a
    failure, whether the platform (grade.error) or the lab (report.lab_error) failed."""
    view = engine.Report.from_dict(g.report).candidate_view() if g.report else None
    return {"done": g.done_at is not None, "report": view, "error": g.error or (view or {}).get("error")}


def stop(s, ls: LabSession, reason: State = State.submitted) -> bool:
    """Mark a ready session submitted (or expired); False when there is nothing to stop."""
    if ls.state in (State.requested, State.provisioning):
        ls.state, ls.ended_at = State.destroyed, utcnow()
        s.commit()
        engine.destroy_sandbox(ls.id)
        return False
    if ls.state != State.ready:
        return False
    ls.state, ls.ended_at = reason, utcnow()
    s.commit()
    return True


def finish(s, session_id: str) -> None:
    """After submit or expiry: the final grade, then the sandbox goes. Safe to run twice."""
    ls = s.get(LabSession, session_id)
    if ls is None:
        return
    if ls.state in (State.submitted, State.expired):
        now = utcnow()
        if any(not g.final and g.done_at is None and not _lost(g, now) for g in ls.grades):
            raise GradeInFlight(session_id)  # two gradings at once would disturb each other's sandbox
        g = next((g for g in ls.grades if g.final), None) or request_grade(s, ls, final=True)
        if g.started_at is None:  # no candidate process runs during the final grade (not yet claimed)
            engine.quiesce_session(ls.id)
        grade(s, g.id)
        s.refresh(g)
        if g.done_at is None:
            return  # another worker holds the final grade; it finishes the session
        ls.state = State.graded
        s.commit()
    if ls.state == State.graded:
        engine.destroy_sandbox(ls.id)
        ls.state = State.destroyed
        s.commit()


def due_for_expiry(s, now: datetime | None = None) -> list[str]:
    now = now or utcnow()
    rows = s.scalars(select(LabSession).where(LabSession.state == State.ready)).all()
    return [r.id for r in rows if r.deadline and aware(r.deadline) <= now]


def expire(s, session_id: str) -> bool:
    ls = s.get(LabSession, session_id)
    if ls is None or ls.state != State.ready or not ls.deadline or aware(ls.deadline) > utcnow():
        return False
    return stop(s, ls, State.expired)


FINAL_GRADE_GRACE = timedelta(hours=1)


def sandboxes_to_keep(s) -> frozenset[str]:
    """Sessions whose sandbox the reaper must leave alone even past its label's expiry: ready
    ones until an hour past their deadline (the expiry task may be queued) and those stopped
    or expired within the last hour, still owed their final grade. After that hour a finish
    that keeps failing lets go."""
    cutoff = utcnow() - FINAL_GRADE_GRACE
    rows = s.scalars(select(LabSession).where(
        LabSession.state.in_((State.ready, State.submitted, State.expired)))).all()
    return frozenset(r.id for r in rows
                     if (r.state == State.ready and r.deadline and aware(r.deadline) > cutoff)
                     or (r.ended_at and aware(r.ended_at) > cutoff))


def unfinished(s, older_than: int = 120) -> list[str]:
    """Sessions stopped or expired a while ago whose final grade and clean-up never ran."""
    cutoff = utcnow() - timedelta(seconds=older_than)
    rows = s.scalars(select(LabSession).where(LabSession.state.in_((State.submitted, State.expired, State.graded)))).all()
    return [r.id for r in rows if r.ended_at and aware(r.ended_at) < cutoff]


def fail_stuck(s, timeout: int) -> list[str]:
    """Provisioning that never finished (a worker died for good) ends as failed."""
    cutoff = utcnow() - timedelta(seconds=timeout)
    rows = s.scalars(select(LabSession).where(LabSession.state.in_((State.requested, State.provisioning)),
                                              LabSession.queued_at.is_(None))).all()
    stuck = [r for r in rows if aware(r.created_at) < cutoff]
    for r in stuck:
        r.state, r.failure_reason, r.ended_at = State.failed, "the sandbox took too long to start; please try again", utcnow()
    s.commit()
    for r in stuck:
        engine.destroy_sandbox(r.id)
    return [r.id for r in stuck]


def sweep_sandboxes(s) -> None:
    """Reap expired and orphaned sandboxes (keeping those the platform still needs) and fail
    the sessions whose sandbox filled its disk."""
    swept = engine.sweep(keep=sandboxes_to_keep(s))
    fail_sessions(s, swept.over_disk, "the sandbox filled its disk and was stopped")


def fail_sessions(s, session_ids, reason: str) -> None:
    for sid in session_ids:
        ls = s.get(LabSession, sid)
        if ls is not None and ls.state in ACTIVE:
            ls.state, ls.failure_reason, ls.ended_at = State.failed, reason, utcnow()
    s.commit()


def reveal_hint(s, ls: LabSession, lab: Lab, task_id: str) -> list[str]:
    """Show one more hint for a task; returns the hints now visible."""
    if ls.invite_id is not None:
        from webapp import assessments

        assessments.allow(s, ls, "hint")
    try:
        task = lab.task(task_id)
    except KeyError:
        raise SessionError(f"no task {task_id[:100]!r} in this lab", 404) from None
    shown = dict(ls.hints_revealed or {})
    shown[task_id] = min(shown.get(task_id, 0) + 1, len(task.hints))
    ls.hints_revealed = shown
    s.commit()
    return task.hints[: shown[task_id]]
