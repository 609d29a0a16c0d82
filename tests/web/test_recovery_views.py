"""Lost work and broken sandboxes, as the sweep and a restarting worker see them
(webapp.recovery), on a real app and database. The same faults on the real platform (a
killed grade worker, a removed sandbox host) are in tests/integration/test_recovery.py."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import timedelta

import pytest

from tests.web.test_views import add_session
from webapp import recovery, services
from webapp.db import session_scope
from webapp.models import Grade, LabSession, State


def dead_worker() -> str:
    """A "host:pid" claim naming a process of this host that has exited."""
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return f"{socket.gethostname()}:{p.pid}"


def claimed(s, sid: str, by: str, final: bool = False, attempts: int = 1) -> Grade:
    g = Grade(session_id=sid, final=final, started_at=services.utcnow(), claimed_by=by, attempts=attempts)
    s.add(g)
    s.commit()
    return g


def test_a_claim_lives_with_its_process_and_not_with_a_reused_pid(app):
    now = services.utcnow()
    assert recovery.claim_alive(services.worker_id(), now, timedelta(minutes=10))
    assert not recovery.claim_alive(dead_worker(), now, timedelta(minutes=10))
    # this process started long after a claim naming its pid: the pid was reused
    assert not recovery.claim_alive(services.worker_id(), now - timedelta(days=400), timedelta(days=800))
    # another host's worker: trusted until the claim is stale
    assert recovery.claim_alive("elsewhere:1", now, timedelta(minutes=10))
    assert not recovery.claim_alive("elsewhere:1", now - timedelta(minutes=11), timedelta(minutes=10))


def test_a_check_whose_worker_died_is_graded_again_once_then_ends_with_a_sentence(app, client, login):
    user, _ = login()
    sid = add_session(app, user.id)
    with session_scope(app) as s:
        g = claimed(s, sid, dead_worker())
        assert client.get(f"/api/v1/sessions/{sid}").json["pending_grade_state"] == "interrupted"
        found = recovery.recover_grades(s)
        assert found.checks == [g.id] and not found.failed
        assert services._claim(s, g)  # the next delivery takes it over
        assert g.attempts == 2 and g.claimed_by == services.worker_id()
        assert client.get(f"/api/v1/sessions/{sid}").json["pending_grade_state"] == "grading"
        assert not services._claim(s, g)  # a live worker holds it now
        g.claimed_by = dead_worker()  # and that one dies too
        s.commit()
        found = recovery.recover_grades(s)
        assert found.failed == [g.id] and not found.checks
        s.refresh(g)
        assert g.done_at and g.error == recovery.INTERRUPTED
    body = client.get(f"/api/v1/sessions/{sid}").json
    assert body["pending_grade"] is None and body["error"] == recovery.INTERRUPTED


def test_check_again_never_waits_for_a_check_whose_worker_died(app, client, login):
    user, csrf = login()
    sid = add_session(app, user.id)
    with session_scope(app) as s:
        old = claimed(s, sid, dead_worker()).id
    r = client.post(f"/api/v1/sessions/{sid}/check", headers={"X-CSRFToken": csrf})
    assert r.status_code in (202, 503) and r.json["grade_id"] != old  # 503: no Redis in these tests
    with session_scope(app) as s:
        assert s.get(Grade, old).error == recovery.INTERRUPTED


def test_grades_never_claimed_are_queued_again_and_given_up_after_ten_minutes(app, make_user):
    uid = make_user().id
    sid = add_session(app, uid)
    now = services.utcnow()
    with session_scope(app) as s:
        fresh = Grade(session_id=sid)
        late = Grade(session_id=sid, created_at=now - timedelta(seconds=90))
        lost = Grade(session_id=sid, created_at=now - timedelta(minutes=11))
        live = Grade(session_id=sid, created_at=now - timedelta(minutes=3), started_at=now,
                     claimed_by=services.worker_id(), attempts=1)
        s.add_all([fresh, late, lost, live])
        s.commit()
        found = recovery.recover_grades(s)
        assert found.checks == [late.id] and found.failed == [lost.id] and not found.finishes
        assert s.get(Grade, lost.id).error == recovery.LOST and s.get(Grade, live.id).done_at is None


def test_a_stop_never_waits_for_a_check_whose_worker_died(app, make_user, monkeypatch):
    from opslab import engine

    graded, destroyed = [], []
    monkeypatch.setattr(engine, "quiesce_session", lambda sid: None)
    monkeypatch.setattr(engine, "lab_for_session", lambda *a: None)
    monkeypatch.setattr(engine, "grade_session", lambda sid, lab=None: graded.append(sid) or _report())
    monkeypatch.setattr(engine, "destroy_sandbox", destroyed.append)
    sid = add_session(app, make_user().id, State.submitted)
    with session_scope(app) as s:
        check = claimed(s, sid, dead_worker()).id
        services.finish(s, sid)  # no GradeInFlight: its worker is gone
        assert s.get(Grade, check).error == recovery.INTERRUPTED
        assert s.get(LabSession, sid).state == State.destroyed and graded == [sid] == destroyed


def test_a_final_grade_whose_worker_died_is_finished_again(app, make_user, monkeypatch):
    from opslab import engine

    monkeypatch.setattr(engine, "quiesce_session", lambda sid: pytest.fail("quiesced twice"))
    monkeypatch.setattr(engine, "lab_for_session", lambda *a: None)
    monkeypatch.setattr(engine, "grade_session", lambda sid, lab=None: _report())
    monkeypatch.setattr(engine, "destroy_sandbox", lambda sid: True)
    sid = add_session(app, make_user().id, State.expired)
    with session_scope(app) as s:
        final = claimed(s, sid, dead_worker(), final=True).id
        assert recovery.recover_grades(s).finishes == [sid]
        services.finish(s, sid)
        g = s.get(Grade, final)
        assert g.report and g.attempts == 2 and s.get(LabSession, sid).state == State.destroyed


def _report():
    from opslab.engine import Report

    return Report.from_dict({"lab": "greeting-file", "lab_version": "x", "grader_version": "t", "tasks": [],
                             "duration_seconds": 0.1, "started_at": 0.0})


@pytest.mark.parametrize("invite, down, credited", [
    (None, {"box": "removed"}, None),
    (7, {"box": "exited 137"}, True),
    (7, {"box": "out of memory"}, False),
])
def test_a_broken_sandbox_fails_its_session_with_a_sentence(app, make_user, invite, down, credited):
    from opslab import engine
    from webapp import assessments

    uid = make_user().id
    sid, stopped = add_session(app, uid), add_session(app, uid, State.submitted)
    with session_scope(app) as s:
        s.get(LabSession, sid).invite_id = invite
        s.commit()
        sentence = engine.down_sentence(down)
        assert recovery.fail_broken_sandboxes(s, {sid: sentence, stopped: sentence}) == [sid]
        ls = s.get(LabSession, sid)
        assert ls.state == State.failed and ls.ended_at and ls.failure_reason.startswith(sentence)
        assert s.get(LabSession, stopped).state == State.submitted  # a Stop meanwhile wins
        if invite is None:
            assert "box" in sentence and "Start the lab again" in ls.failure_reason
        else:
            assert assessments.platform_failed(ls) is credited
            assert ("given back" in ls.failure_reason) is credited


def test_a_check_on_a_half_gone_sandbox_is_an_error_and_ends_the_session(app, client, login, monkeypatch):
    from infra.errors import SandboxDown
    from opslab import engine

    destroyed = []

    def half_gone(session, lab=None):
        raise SandboxDown(session, {"db": "removed"})

    monkeypatch.setattr(engine, "grade_session", half_gone)
    monkeypatch.setattr(engine, "destroy_sandbox", destroyed.append)
    user, _ = login()
    sid = add_session(app, user.id)
    with session_scope(app) as s:
        s.get(LabSession, sid).lab_version = engine.find_lab_cached("greeting-file").version
        g = services.request_grade(s, s.get(LabSession, sid))
        services.grade(s, g.id)
        assert g.report is None and g.error == "your lab's machine db was removed unexpectedly; the session had to end"
    body = client.get(f"/api/v1/sessions/{sid}").json
    assert body["state"] == "failed" and body["failure_reason"].startswith(g.error) and destroyed == [sid]
    assert body["error"] == g.error


def test_worker_ids_name_this_process():
    assert services.worker_id() == f"{socket.gethostname()}:{os.getpid()}"


def test_a_start_the_queue_cannot_take_says_so_and_is_queued_again_at_the_next_sweep(app, client, login):
    user, csrf = login()
    r = client.post("/api/v1/sessions", json={"lab": "greeting-file"}, headers={"X-CSRFToken": csrf})  # no Redis
    assert r.status_code == 202
    sid = r.json["id"]
    assert client.get(f"/api/v1/sessions/{sid}").json["progress"] == services.QUEUE_AWAY
    with session_scope(app) as s:
        assert services.stalled_starts(s) == [sid]  # not a minute later


def test_a_sandbox_the_disk_watchdog_ended_is_not_called_a_platform_failure(app, login, monkeypatch, tmp_path):
    from infra.errors import SandboxNotFound
    from opslab import engine

    def gone(session, lab=None):
        raise SandboxNotFound(session)

    monkeypatch.setenv("OPSLAB_VAR", str(tmp_path))
    monkeypatch.setattr(engine, "grade_session", gone)
    monkeypatch.setattr(engine, "destroy_sandbox", lambda sid: pytest.fail("the sweep removes it"))
    user, _ = login()
    sid = add_session(app, user.id)
    (tmp_path / "watchdog" / "ended").mkdir(parents=True)
    (tmp_path / "watchdog" / "ended" / sid).write_text("wrote 600 MiB, over the 512 MiB limit")
    with session_scope(app) as s:
        s.get(LabSession, sid).lab_version = engine.find_lab_cached("greeting-file").version
        g = services.request_grade(s, s.get(LabSession, sid))
        services.grade(s, g.id)
        assert g.error == services.DISK_FULL and s.get(LabSession, sid).state == State.ready  # the sweep fails it
