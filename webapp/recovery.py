"""Work whose worker died, and sandboxes that broke under a running session: found by the
sweep (every 30 s) and by every worker as it (re)starts (webapp.tasks.recover), so that a
candidate waits seconds, not the broker's visibility timeout, and never on a spinner.

A claim names its worker as "host:pid" with the time it was taken. On this machine a claim
is alive while that process runs and is the same process (a pid reused since the claim does
not count); a claim taken on another host is trusted until it is `stale`.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update

from opslab.engine import SANDBOX_OOM
from webapp.models import Grade, LabSession, State, aware, utcnow

LOST_CHECK_AFTER = timedelta(minutes=10)  # far past any lab's check budget: a claim from another host lapses
UNCLAIMED_AFTER = timedelta(seconds=60)   # a grade no worker took by then is queued again (its message was lost)
MAX_GRADE_ATTEMPTS = 2                    # a grade whose worker died is graded once more, then ends with a sentence
INTERRUPTED = "the check was interrupted (the platform's grading process stopped); press Check again"
FINAL_INTERRUPTED = ("the final grade was interrupted twice on the platform's side, so this lab could not be "
                     "graded; the platform's operators have the logs")
LOST = "this check was lost on the way; press Check again"


def worker_id() -> str:
    """This process, as a claim names it: "host:pid"."""
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_alive(claimed_by: str | None, claimed_at: datetime | None, stale: timedelta) -> bool:
    """Is the worker that took a claim still at it? On this machine: its process runs, and
    started before the claim. Elsewhere (or a claim naming no worker): until `stale` has passed."""
    if not claimed_at:
        return False
    host, _, pid = (claimed_by or "").rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        if _started_after(int(pid), aware(claimed_at)):
            return False  # the pid was given to another process since
    return aware(claimed_at) > utcnow() - stale


def _started_after(pid: int, when: datetime) -> bool:
    """Did process `pid` start after `when` (with 2 s to spare for the clock's rounding)?"""
    try:
        with open(f"/proc/{pid}/stat") as f:
            ticks = int(f.read().rsplit(")", 1)[1].split()[19])  # field 22: start time since boot
        with open("/proc/stat") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith("btime "))
    except (OSError, ValueError, IndexError, StopIteration):
        return False
    return boot + ticks / os.sysconf("SC_CLK_TCK") > when.timestamp() + 2


def worker_gone(g: Grade) -> bool:
    """The grade was claimed, is not done, and the worker that claimed it has died."""
    return (g.done_at is None and g.started_at is not None
            and not claim_alive(g.claimed_by, g.started_at, LOST_CHECK_AFTER))


def lost(g: Grade, now: datetime) -> bool:
    """Not done, and either its worker died or nobody claimed it within LOST_CHECK_AFTER."""
    return g.done_at is None and (worker_gone(g) or aware(g.created_at) < now - LOST_CHECK_AFTER)


def pending_state(g: Grade) -> str:
    """What the page says of a grade not done yet: queued, grading, or interrupted (its worker
    died; it is queued again within seconds or ends with a sentence)."""
    if g.started_at is None:
        return "queued"
    return "interrupted" if worker_gone(g) else "grading"


@dataclass
class Recovered:
    checks: list[int] = field(default_factory=list)    # Checks to queue again
    finishes: list[str] = field(default_factory=list)  # sessions whose final grade to queue again
    failed: list[int] = field(default_factory=list)    # grades ended with a sentence


def recover_grades(s) -> Recovered:
    """Grades to queue again: claimed by a worker that died (once; a second loss ends the grade
    with a sentence), or never claimed within UNCLAIMED_AFTER (the message was lost on the way).
    A Check nobody took for LOST_CHECK_AFTER, or whose lab ended while its worker died, ends."""
    now, found = utcnow(), Recovered()
    for g in s.scalars(select(Grade).where(Grade.done_at.is_(None))).all():
        age = now - aware(g.created_at)
        if worker_gone(g):
            if g.attempts >= MAX_GRADE_ATTEMPTS or (not g.final and g.session.state != State.ready):
                g.error, g.done_at = (FINAL_INTERRUPTED if g.final else INTERRUPTED), now
                found.failed.append(g.id)
        elif g.started_at is not None or age < UNCLAIMED_AFTER:
            continue  # being graded, or just queued
        elif not g.final and age > LOST_CHECK_AFTER:
            g.error, g.done_at = LOST, now
            found.failed.append(g.id)
        if g.final:
            found.finishes.append(g.session_id)  # finish takes the grade over, or moves on if it ended
        elif g.done_at is None:
            found.checks.append(g.id)
    s.commit()
    return found


def fail_broken_sandboxes(s, down: dict[str, str]) -> list[str]:
    """Fail the ready sessions whose sandbox broke (`down`: session -> the engine's sentence),
    each with one conditional update (a Stop meanwhile wins), and say what to do next. The
    caller removes what is left of their sandboxes. In a timed assessment, the time in the lab
    is credited (webapp.assessments.platform_failed) unless the candidate caused it."""
    failed = []
    for sid, sentence in down.items():
        ls = s.get(LabSession, sid)
        if ls is None:
            continue
        if ls.invite_id is None:
            nxt = "start the lab again to carry on (work done in it is lost)"
        elif sentence.startswith(SANDBOX_OOM):
            nxt = "start the lab again from the assessment page (the clock keeps running)"
        else:
            nxt = "the time you spent in it is given back: start the lab again from the assessment page"
        moved = s.execute(update(LabSession).where(LabSession.id == sid, LabSession.state == State.ready)
                          .values(state=State.failed, failure_reason=f"{sentence}. {nxt[0].upper()}{nxt[1:]}",
                                  ended_at=utcnow()).execution_options(synchronize_session=False))
        if moved.rowcount:
            failed.append(sid)
    s.commit()
    return failed
