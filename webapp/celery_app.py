"""Celery wired to the Flask app (Redis broker); tasks run inside an app context."""

from __future__ import annotations

import logging
import threading

from celery import Celery, Task
from celery.signals import worker_ready

log = logging.getLogger(__name__)

SESSIONS_QUEUE = "sessions"   # provision, expire, sweep
GRADE_QUEUE = "grade"         # Check
FINAL_QUEUE = "final"         # finish: the final grade after Stop or time-up, then clean-up


@worker_ready.connect
def _warm_grader(**_kwargs) -> None:
    """Start the grader's fork server (grader.zygote) when the worker starts, in the
    background, so the first Check after a (re)start does not pay its start-up and
    preload imports (~0.3 s idle, ~0.9 s measured on a busy 2-CPU host)."""

    def warm() -> None:
        try:
            from opslab.engine import warm_up

            warm_up()
        except Exception:  # the first grading run starts it (or reports why) instead
            log.warning("could not pre-start the grader's fork server", exc_info=True)

    threading.Thread(target=warm, name="warm-grader", daemon=True).start()


@worker_ready.connect
def _recover_lost_work(sender=None, **_kwargs) -> None:
    """A worker that (re)starts asks for the work of dead workers to be queued again
    (webapp.tasks.recover): a Check killed with its worker is graded again within seconds
    of the restart instead of waiting for the broker's visibility timeout."""
    try:
        sender.app.send_task("webapp.tasks.recover", queue=SESSIONS_QUEUE, countdown=0.5)
    except Exception:  # noqa: BLE001 - the sweep does the same every 30 s
        log.warning("could not ask for lost work to be queued again", exc_info=True)


def celery_init_app(app) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.name, task_cls=FlaskTask)
    celery.conf.update(
        broker_url=app.config["REDIS_URL"],
        result_backend=None,
        task_ignore_result=True,
        task_acks_late=True,               # redelivered after a worker crash: tasks are idempotent
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        # a Redis that hangs (stopped, or a network that drops packets) must not hang a request:
        # each command gives up after a few seconds, and the caller says so (webapp.tasks._enqueue)
        broker_transport_options={"visibility_timeout": 3600, "socket_timeout": 2, "socket_connect_timeout": 2},
        broker_connection_retry_on_startup=True,
        task_always_eager=app.config.get("CELERY_ALWAYS_EAGER", False),
        # Gradings run on queues and workers of their own so that a burst of sandbox starts
        # (seconds each) never queues in front of a score a candidate is waiting for, and a
        # cohort whose time runs out together does not hold up everyone else's Checks.
        task_default_queue=SESSIONS_QUEUE,
        task_routes={"webapp.tasks.grade": {"queue": GRADE_QUEUE}, "webapp.tasks.finish": {"queue": FINAL_QUEUE}},
        beat_schedule={"sweep": {"task": "webapp.tasks.sweep", "schedule": 30.0}},
        imports=("webapp.tasks",),
    )
    celery.set_default()
    app.extensions["celery"] = celery
    return celery
