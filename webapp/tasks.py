"""Celery tasks: thin wrappers that open a database session and call webapp.services."""

from __future__ import annotations

from celery import shared_task
from flask import current_app

from webapp import services
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


@shared_task(name="webapp.tasks.finish", acks_late=True, bind=True, max_retries=None)
def finish(self, session_id: str) -> None:
    with session_scope(current_app) as s:
        try:
            services.finish(s, session_id)
        except services.GradeInFlight:
            # a Check is grading the sandbox: the final grade follows it (a lost one gives up
            # after services.LOST_CHECK_AFTER, so this ends)
            raise self.retry(countdown=2) from None


@shared_task(name="webapp.tasks.expire", acks_late=True)
def expire(session_id: str) -> None:
    with session_scope(current_app) as s:
        if services.expire(s, session_id):
            finish.delay(session_id)


@shared_task(name="webapp.tasks.sweep", acks_late=True)
def sweep() -> None:
    """Every 30 s (beat): expiries missed, stuck provisioning, lost checks, orphaned or
    over-full sandboxes."""
    from infra.watchdog import enforce_disk_limit

    with session_scope(current_app) as s:
        for sid in services.due_for_expiry(s):
            expire.delay(sid)
        for sid in services.unfinished(s):
            finish.delay(sid)
        services.fail_stuck(s, current_app.config["PROVISION_TIMEOUT"])
        services.fail_lost_checks(s)
        prov = services.provider()
        prov.reap(keep=services.sandboxes_to_keep(s))
        full = enforce_disk_limit(prov)
        services.fail_sessions(s, full, "the sandbox filled its disk and was stopped")
