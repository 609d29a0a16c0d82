"""Warm pools (webapp.pools) on the real platform: Start claims a set-up sandbox at once,
each member is used once, and the pool refills."""

from __future__ import annotations

import json
import time

import pytest

from opslab.engine import destroy_sandbox, get_sandbox
from tests.conftest import FIXTURE_LABS
from tests.integration.test_platform import login, read_until, terminal
from tests.platform import CANDIDATE, running_platform
from webapp.db import session_scope
from webapp.models import PoolMember


def _members(app) -> list[tuple[str, str]]:
    with session_scope(app) as s:
        return [(m.id, m.state) for m in s.query(PoolMember).all()]


def _wait_ready(app, exclude=(), timeout=90) -> str:
    end = time.time() + timeout
    while time.time() < end:
        ready = [mid for mid, state in _members(app) if state == "ready" and mid not in exclude]
        if ready:
            return ready[0]
        time.sleep(0.2)
    raise AssertionError(f"no warm member became ready: {_members(app)}")


@pytest.fixture
def pooled_platform(provider):
    with running_platform(FIXTURE_LABS, env={"OPSLAB_WARM_POOL": "greeting-file=1"}) as p:
        app = p.app()
        try:
            yield p, app
        finally:
            for mid, _ in _members(app):  # members outlive the platform otherwise (their label allows hours)
                destroy_sandbox(mid)


def test_start_claims_a_warm_sandbox_and_the_pool_refills(pooled_platform):
    p, app = pooled_platform
    from webapp.tasks import refill_pools

    with app.app_context():
        refill_pools.delay()
    member = _wait_ready(app)
    assert get_sandbox(member).lab == "greeting-file"

    s, csrf = login(p, CANDIDATE)
    t0 = time.monotonic()
    r = s.post(p.url + "/api/v1/sessions", json={"lab": "greeting-file"}, headers={"X-CSRFToken": csrf})
    took = time.monotonic() - t0
    assert r.status_code in (200, 201, 202), r.text
    started = r.json()
    sid = started["id"]
    try:
        assert sid == member, "Start did not take the warm member"
        status = s.get(f"{p.url}/api/v1/sessions/{sid}").json()
        assert status["state"] == "ready" and status["deadline"], status
        assert took < 5, f"a pooled Start took {took:.2f} s"  # a claim, not a sandbox start (bench measures it)
        ws = terminal(p, s, sid)  # the set-up sandbox answers at once
        read_until(ws, "root@box")
        ws.send(json.dumps({"i": "echo DONE-$((6*7))\r"}))
        read_until(ws, "DONE-42")
        ws.close()
        assert member not in [mid for mid, _ in _members(app)], "a claimed member stays in the pool"
        replacement = _wait_ready(app, exclude={member})  # queued by the claim, no sweep needed
        assert replacement != member
    finally:
        s.post(f"{p.url}/api/v1/sessions/{sid}/stop", headers={"X-CSRFToken": csrf})
