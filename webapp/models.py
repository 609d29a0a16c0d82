"""The data model: users, lab sessions (attempts) and their grades.

A LabSession is one attempt at one lab in one sandbox. Its state moves
requested → provisioning → ready → submitted | expired → graded → destroyed (or failed,
with a reason a person can read); every transition is committed before the side effect it
triggers. `invite_id` ties a session to the invite (timed assessment attempt) it belongs to.

Hiring teams (webapp.teams, webapp.assessments, webapp.invites, webapp.reports): a Team
holds reviewers; an Assessment is a list of weighted labs with a total time limit and a mode;
an Invite is one candidate's single-use link, and also their one attempt.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, Enum, ForeignKey, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.base import NEVER_SET, NO_VALUE

from webapp.db import Base


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(dt: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; they are stored in UTC."""
    return dt.replace(tzinfo=UTC) if dt is not None and dt.tzinfo is None else dt


class Role(enum.StrEnum):
    candidate = "candidate"
    reviewer = "reviewer"      # hiring team
    instructor = "instructor"
    admin = "admin"
    invitee = "invitee"        # a guest account behind one invite link: no password, no catalogue


class State(enum.StrEnum):
    requested = "requested"
    provisioning = "provisioning"
    ready = "ready"
    submitted = "submitted"
    expired = "expired"
    graded = "graded"
    destroyed = "destroyed"
    failed = "failed"


ACTIVE = (State.requested, State.provisioning, State.ready)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20), default=Role.candidate)
    # sha256 of the API token (`opslab user token`); the token itself is shown once.
    api_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    # Kept in the session cookie at log-in; a cookie with another number is refused. Log-out
    # and a password change raise it, which ends every session of the user at once.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), nullable=True, index=True)  # reviewers


class Team(Base):
    """A hiring team: its reviewers see only its assessments, invites and reports."""

    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # POSTed to, signed with the secret, when an attempt is graded (webapp.webhooks)
    webhook_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    webhook_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Mode(enum.StrEnum):
    exam = "exam"          # no Check, no hints: graded at the end of each lab
    practice = "practice"  # Checks and hints; each hint costs points on tasks passed


class Assessment(Base):
    """Labs (in order, each with a weight) under one total time limit, for one team."""

    __tablename__ = "assessments"
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(60), nullable=True)  # the role template it came from
    labs: Mapped[list] = mapped_column(JSON, default=list)  # [{"lab": id, "weight": n}]
    time_limit: Mapped[int] = mapped_column(Integer)        # seconds, for all labs together
    mode: Mapped[Mode] = mapped_column(Enum(Mode, native_enum=False, length=20), default=Mode.exam)
    invite_days: Mapped[int] = mapped_column(Integer, default=7)  # how long a new invite stays valid
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    team: Mapped[Team] = relationship()
    invites: Mapped[list[Invite]] = relationship(back_populates="assessment", order_by="Invite.id")


class Invite(Base):
    """One candidate's single-use link (only its sha256 is stored) and their one attempt.

    used_at: Start was pressed (the link is spent); started_at: the first sandbox was ready
    (the clock started); finished_at: submitted or out of time."""

    __tablename__ = "invites"
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    extra_time: Mapped[int] = mapped_column(Integer, default=0)  # seconds (accessibility)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    guest_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    reopened: Mapped[int] = mapped_column(Integer, default=0)  # the link opened again mid-attempt
    notify_claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)  # webhook delivered
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    assessment: Mapped[Assessment] = relationship(back_populates="invites")


@event.listens_for(User.password_hash, "set", active_history=True)
def _password_changed(user: User, value, old, _initiator) -> None:
    """A new password ends every session and the API token, whoever sets it (web page or CLI)."""
    if old not in (NO_VALUE, NEVER_SET) and value != old:
        user.session_version = (user.session_version or 0) + 1
        user.api_token_hash = None


class LabSession(Base):
    __tablename__ = "lab_sessions"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # also the sandbox's session label
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    lab_id: Mapped[str] = mapped_column(String(100))
    lab_version: Mapped[str] = mapped_column(String(32))
    state: Mapped[State] = mapped_column(Enum(State, native_enum=False, length=20), default=State.requested, index=True)
    progress: Mapped[str] = mapped_column(String(200), default="")
    failure_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    hints_revealed: Mapped[dict] = mapped_column(JSON, default=dict)  # task id -> count shown
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ready_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    invite_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)  # timed assessments
    # The worker provisioning the sandbox ("host:pid") and since when: a redelivered task
    # leaves a live worker's start alone, and the sweep re-queues one whose worker died.
    claimed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Set while the session waits in line for capacity (state `requested`); admission clears it.
    queued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    user: Mapped[User] = relationship()
    grades: Mapped[list[Grade]] = relationship(back_populates="session", order_by="Grade.id")

    @property
    def latest_grade(self) -> Grade | None:
        """The last grade that finished, with a report or an error."""
        done = [g for g in self.grades if g.done_at is not None]
        return done[-1] if done else None


class Grade(Base):
    """One press of Check (or the final grade): requested, then done with its Report."""

    __tablename__ = "grades"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("lab_sessions.id"), index=True)
    final: Mapped[bool] = mapped_column(default=False)
    report: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # set when a worker claims the grading (one worker per grade, even if its task is delivered twice)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    session: Mapped[LabSession] = relationship(back_populates="grades")


class LoginFailure(Base):
    """One failed log-in, kept for the throttling window (webapp.login_throttle)."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(primary_key=True)
    ip: Mapped[str] = mapped_column(String(45), index=True)
    email: Mapped[str] = mapped_column(String(254))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class PoolMember(Base):
    """A sandbox started and set up ahead of time for a lab (webapp.pools), used once: Start
    turns it into a LabSession with the same id, which is also the sandbox's session label."""

    __tablename__ = "pool_members"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    lab_id: Mapped[str] = mapped_column(String(100), index=True)
    lab_version: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(20), default="queued", index=True)  # queued → starting → ready
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ready_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
