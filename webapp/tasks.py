"""Celery tasks: thin wrappers that open a database session and call webapp.services."""

from __future__ import annotations

import logging

from celery import shared_task
from flask import current_app

from webapp import assessments, pools, services, webhooks
from webapp.db import session_scope

log = logging.getLogger(__name__)


@shared_task(name="webapp.tasks.provision", acks_late=True)
def provision(session_id: str) -> None:
    with session_scope(current_app) as s:
        services.provision(s, session_id)
        ls = s.get(services.LabSession, session_id)
        if ls and ls.state == services.State.ready and ls.deadline:
            expire.apply_async((session_id,), eta=services.aware(ls.deadline))
    if pools.parse_setting(current_app.config.get("WARM_POOL")) != {"*": 0}:
        refill_pools.delay()  # a Start may have taken a warm member: start its replacement now


@shared_task(name="webapp.tasks.refill_pools", acks_late=True)
def refill_pools() -> None:
    with session_scope(current_app) as s:
        admit_waiting(s, current_app.config)
        for member in pools.refill(s, current_app.config):
            warm.delay(member)


@shared_task(name="webapp.tasks.warm", acks_late=True)
def warm(member_id: str) -> None:
    with session_scope(current_app) as s:
        pools.warm(s, member_id)


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
            admit_waiting(s, current_app.config)  # its slot is free: the next in line starts


@shared_task(name="webapp.tasks.sweep", acks_late=True)
def sweep() -> None:
    """Every 30 s (beat): expiries missed, stuck provisioning, lost checks, orphaned or
    over-full sandboxes."""
    with session_scope(current_app) as s:
        for sid in services.due_for_expiry(s):
            expire.delay(sid)
        for sid in services.unfinished(s):
            finish.delay(sid)
        for sid in services.stalled_starts(s):
            provision.delay(sid)  # lost on the way or its worker died: the claim decides who starts it
        services.fail_stuck(s, current_app.config["PROVISION_TIMEOUT"])
        services.fail_lost_checks(s)
        services.sweep_sandboxes(s)
        for member in pools.refill(s, current_app.config):
            warm.delay(member)
        assessments.due(s)  # attempts out of time between two labs
        webhooks.enqueue_due(s)


# Enqueueing happens after the row is committed, so a worker always finds it. When the queue
# cannot be reached, the row stays and says so: a start is queued again by the sweep
# (services.stalled_starts), a Check ends with a sentence instead of blocking the next one.

def _enqueue(task, *args) -> bool:
    try:
        task.apply_async(args, retry=True, retry_policy={"max_retries": 2, "interval_start": 0.2,
                                                          "interval_step": 0.5, "interval_max": 1})
    except Exception:  # noqa: BLE001 - the broker is away; the caller records what it means
        log.warning("could not queue %s%r", task.name, args, exc_info=True)
        return False
    return True


def admit_waiting(s, config) -> list[str]:
    """Let waiting Starts in where a slot is free and queue their provisioning."""
    admitted = services.admit(s, config)
    for sid in admitted:
        enqueue_provision(sid)  # if the queue is away, the sweep queues it again (stalled_starts)
    return admitted


def enqueue_provision(session_id: str) -> bool:
    return _enqueue(provision, session_id)


def enqueue_grade(grade_id: int) -> bool:
    return _enqueue(grade, grade_id)


def enqueue_finish(session_id: str) -> bool:
    return _enqueue(finish, session_id)
