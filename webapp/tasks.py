"""Celery tasks: thin wrappers that open a database session and call webapp.services."""

from __future__ import annotations

from celery import shared_task
from flask import current_app

from webapp import assessments, services, webhooks
from webapp.db import session_scope


@shared_task(name="webapp.tasks.provision", acks_late=True)
def provision(session_id: str) -> None:
    with session_scope(current_app) as s:
        services.provision(s, session_id)
        ls = s.get(services.LabSession, session_id)
        if ls and ls.state == services.State.ready and ls.deadline:
            expire.apply_async((session_id,), eta=services.aware(ls.deadline))


@shared_task(name="webapp.tasks.grade", acks_late=True)
def grade(grade_id: int) -> None:
    with session_scope(current_app) as s:
        services.grade(s, grade_id)


FINISH_RETRIES = 16  # 2 s doubling to a minute: ~13 minutes, past LOST_CHECK_AFTER


@shared_task(name="webapp.tasks.finish", acks_late=True, bind=True, max_retries=FINISH_RETRIES)
def finish(self, session_id: str) -> None:
    with session_scope(current_app) as s:
        try:
            services.finish(s, session_id)
            webhooks.after_lab(s, session_id)  # a timed assessment may be over: its team hears of it
        except services.GradeInFlight:
            # a Check is grading the sandbox: the final grade follows it, with backoff; a lost
            # Check gives up after services.LOST_CHECK_AFTER, well within the retries, and the
            # sweep queues a finish again for any session left unfinished
            raise self.retry(countdown=min(60, 2 ** (self.request.retries + 1))) from None


@shared_task(name="webapp.tasks.expire", acks_late=True)
def expire(session_id: str) -> None:
    with session_scope(current_app) as s:
        if services.expire(s, session_id):
            finish.delay(session_id)


@shared_task(name="webapp.tasks.sweep", acks_late=True)
def sweep() -> None:
    """Every 30 s (beat): expiries missed, stuck provisioning, lost checks, orphaned or
    over-full sandboxes."""
    with session_scope(current_app) as s:
        for sid in services.due_for_expiry(s):
            expire.delay(sid)
        for sid in services.unfinished(s):
            finish.delay(sid)
        services.fail_stuck(s, current_app.config["PROVISION_TIMEOUT"])
        services.fail_lost_checks(s)
        services.sweep_sandboxes(s)
        assessments.due(s)  # attempts out of time between two labs
        webhooks.enqueue_due(s)


# Enqueueing happens after the row is committed, so a worker always finds it.

def enqueue_provision(session_id: str) -> None:
    provision.delay(session_id)


def enqueue_grade(grade_id: int) -> None:
    grade.delay(grade_id)


def enqueue_finish(session_id: str) -> None:
    finish.delay(session_id)
