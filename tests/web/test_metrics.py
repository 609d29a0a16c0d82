"""/metrics: the platform's figures in Prometheus' format, for admins only."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.web.test_views import add_session
from webapp.auth import issue_api_token
from webapp.db import session_scope
from webapp.models import Grade, LabSession, PoolMember, Role, State, utcnow


def _value(text: str, series: str) -> float:
    m = re.search(rf"^{re.escape(series)} (\S+)$", text, re.M)
    assert m, f"{series} is not in:\n{text}"
    return float(m.group(1))


def test_metrics_count_sessions_pools_latencies_and_errors(app, client, make_user, login):
    cand = make_user("c1@example.org", "password-123")
    ready, _ = add_session(app, cand.id), add_session(app, cand.id, state=State.failed)
    with session_scope(app) as s:
        ls = s.get(LabSession, ready)
        ls.created_at = utcnow() - timedelta(seconds=3)
        ls.ready_at = ls.created_at + timedelta(seconds=0.7)
        now = utcnow()
        s.add_all([Grade(session_id=ready, created_at=now - timedelta(seconds=2), done_at=now, report={}),
                   Grade(session_id=ready, created_at=now, done_at=now, error="the grader failed"),
                   PoolMember(id="p1", lab_id="greeting-file", lab_version="x", state="ready")])
        s.commit()
    login("boss@example.org", Role.admin)
    r = client.get("/metrics")
    assert r.status_code == 200 and r.content_type.startswith("text/plain; version=0.0.4")
    text = r.get_data(as_text=True)
    assert _value(text, 'opslab_sessions{state="ready"}') == 1
    assert _value(text, 'opslab_sessions{state="failed"}') == 1
    assert _value(text, 'opslab_pool_members{lab="greeting-file",state="ready"}') == 1
    assert _value(text, 'opslab_session_ready_seconds_bucket{le="0.5"}') == 0
    assert _value(text, 'opslab_session_ready_seconds_bucket{le="1"}') == 1
    assert _value(text, 'opslab_check_seconds_count') == 1  # the errored grade is not a latency
    assert _value(text, 'opslab_check_seconds_bucket{le="2"}') == 1
    assert _value(text, "opslab_grading_errors_total") == 1
    assert _value(text, "opslab_queue_up") == 0  # this test has no Redis: said, not hidden


def test_metrics_refuse_anyone_but_admins(app, client, make_user, login):
    assert client.get("/metrics").status_code == 401
    assert "Bearer" in client.get("/metrics").headers["WWW-Authenticate"]
    with session_scope(app) as s:
        cand = s.merge(make_user("c2@example.org", "password-123"))
        admin = s.merge(make_user("a2@example.org", "password-123", Role.admin))
        cand_token, admin_token = issue_api_token(s, cand), issue_api_token(s, admin)
        s.commit()
    assert client.get("/metrics", headers={"Authorization": f"Bearer {cand_token}"}).status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer opsl_wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {admin_token}"}).status_code == 200
    login("c3@example.org")
    assert client.get("/metrics").status_code == 403
