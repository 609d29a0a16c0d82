"""Faults under a running platform (issue 18): the grade worker killed mid-Check, the
sessions worker killed during a start and before a deadline, a sandbox host removed or
killed under a ready session, Redis hung. The real launcher (`opslab platform`) on free
loopback ports with a private var/, the real Docker engine, Redis and Celery workers; the
labs are the fixture lab plus two variants made here (a Check that takes 3 s, two hosts).

Figures (printed with -s): how long after the kill the Check's score arrived, and how long
after the removal the candidate read why the session ended."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import time
from datetime import timedelta
from pathlib import Path

import docker
import pytest

from tests.conftest import FIXTURE_LABS
from tests.integration.test_platform import login, wait_state
from tests.integration.test_supervision import ADMIN, launched
from webapp import create_app
from webapp.db import session_scope
from webapp.models import LabSession, aware, utcnow

SLOW_CHECK = '''import time

import pytest


@pytest.mark.task("greeting-present")
def test_takes_its_time(host):
    time.sleep(3)
'''


@pytest.fixture(scope="module")
def labs(tmp_path_factory) -> Path:
    """greeting-file with a slow Check (time to kill its worker mid-grade); greeting-pair: the
    same lab on two hosts, box and db; greeting-slow-start: a setup that takes 4 s."""
    root = tmp_path_factory.mktemp("labs")
    shutil.copytree(FIXTURE_LABS / "greeting-file", root / "greeting-file")
    (root / "greeting-file" / "checks" / "test_slow.py").write_text(SLOW_CHECK)
    pair = root / "greeting-pair"
    shutil.copytree(FIXTURE_LABS / "greeting-file", pair)
    spec = (pair / "lab.yaml").read_text().replace("id: greeting-file", "id: greeting-pair")
    host = "    - name: box\n      image: opslab/base\n      resources: {cpus: 0.5, memory: 64m, pids: 64}\n"
    assert host in spec
    (pair / "lab.yaml").write_text(spec.replace(host, host + host.replace("box", "db")))
    slow = root / "greeting-slow-start"
    shutil.copytree(FIXTURE_LABS / "greeting-file", slow)
    (slow / "lab.yaml").write_text((slow / "lab.yaml").read_text().replace("id: greeting-file",
                                                                           "id: greeting-slow-start"))
    (slow / "setup.sh").write_text((slow / "setup.sh").read_text() + "sleep 4\n")
    return root


@pytest.fixture(scope="module")
def platform(tmp_path_factory, labs):

    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as e:
        if os.environ.get("OPSLAB_REQUIRE_DOCKER"):
            pytest.fail(f"make test needs a Docker engine: {e}")
        pytest.skip(reason=f"no Docker engine reachable: {e}")
    with launched(tmp_path_factory.mktemp("recovery"), None, labs) as p:
        yield p


def start(s, p, csrf, lab: str) -> str:
    sid = s.post(p.url + "/api/v1/sessions", json={"lab": lab}, headers={"X-CSRFToken": csrf}).json()["id"]
    st = wait_state(s, p, sid, {"ready", "failed"}, timeout=90)
    assert st["state"] == "ready", st
    return sid


def grade_row(p, gid: int) -> tuple:
    with sqlite3.connect(p.var / "opslab.db") as db:
        return db.execute("SELECT attempts, started_at, done_at, claimed_by FROM grades WHERE id = ?", (gid,)).fetchone()


def kill_grader_mid_grade(s, p, csrf, sid, gid: int, attempt: int) -> None:
    """Wait until a grader claims grade `gid` (its `attempt`-th claim), then kill -9 it."""
    end = time.monotonic() + 60
    while True:
        attempts, started, done, by = grade_row(p, gid)
        assert done is None, "graded before the worker could be killed"
        if attempts == attempt and started:
            break
        assert time.monotonic() < end, f"grade {gid} never claimed (attempt {attempt}):\n{p.output()}"
        time.sleep(0.05)
    pid = int(by.rpartition(":")[2])
    assert pid == p.children()["grader"], (by, p.children())
    os.kill(pid, signal.SIGKILL)


def wait_grade(s, p, sid, gid: int, timeout: float) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r = s.get(f"{p.url}/api/v1/sessions/{sid}/grades/{gid}").json()
        if r["done"]:
            return r
        time.sleep(0.1)
    raise AssertionError(f"grade {gid} still not done after {timeout} s:\n{p.output()}")


def test_a_check_killed_with_its_worker_is_graded_again_within_seconds(platform):
    p = platform
    s, csrf = login(p, ADMIN)
    sid = start(s, p, csrf, "greeting-file")

    gid = s.post(f"{p.url}/api/v1/sessions/{sid}/check", headers={"X-CSRFToken": csrf}).json()["grade_id"]
    kill_grader_mid_grade(s, p, csrf, sid, gid, attempt=1)
    t0 = time.monotonic()
    r = wait_grade(s, p, sid, gid, timeout=45)
    took = time.monotonic() - t0
    assert r["error"] is None and r["report"]["score"] == 0, r  # graded again, by the restarted worker
    assert grade_row(p, gid)[0] == 2
    print(f"\nCheck whose worker was killed mid-grade: score shown {took:.1f} s after the kill")

    # killed again on its second try: it ends with a sentence (no spinner, no loop)
    gid = s.post(f"{p.url}/api/v1/sessions/{sid}/check", headers={"X-CSRFToken": csrf}).json()["grade_id"]
    kill_grader_mid_grade(s, p, csrf, sid, gid, attempt=1)
    kill_grader_mid_grade(s, p, csrf, sid, gid, attempt=2)
    t0 = time.monotonic()
    r = wait_grade(s, p, sid, gid, timeout=45)
    print(f"killed twice: the sentence shown {time.monotonic() - t0:.1f} s after the second kill")
    assert r["report"] is None and r["error"].startswith("the check was interrupted"), r
    st = s.get(f"{p.url}/api/v1/sessions/{sid}").json()
    assert st["pending_grade"] is None and st["error"] == r["error"]

    # and a Check after that works, and Stop is not held up
    gid = s.post(f"{p.url}/api/v1/sessions/{sid}/check", headers={"X-CSRFToken": csrf}).json()["grade_id"]
    assert wait_grade(s, p, sid, gid, timeout=45)["report"]["score"] == 0
    s.post(f"{p.url}/api/v1/sessions/{sid}/stop", headers={"X-CSRFToken": csrf})
    wait_state(s, p, sid, {"destroyed"}, timeout=90)


def test_a_host_removed_or_killed_under_a_session_fails_it_with_a_sentence(platform):
    p = platform
    client = docker.from_env()
    s, csrf = login(p, ADMIN)

    def containers(sid: str):
        return client.containers.list(all=True, filters={"label": f"opslab.session={sid}"})

    # one host of a two-host sandbox removed: the sweep notices, the session fails with a
    # sentence naming the host, and what is left of the sandbox is removed
    pair = start(s, p, csrf, "greeting-pair")
    db = next(c for c in containers(pair) if c.labels["opslab.host"] == "db")
    db.remove(force=True)
    t0 = time.monotonic()
    st = wait_state(s, p, pair, {"failed"}, timeout=75)  # the next sweep (every 30 s)
    print(f"\nhost removed: the session failed {time.monotonic() - t0:.1f} s later: {st['failure_reason']}")
    assert st["failure_reason"].startswith("your lab's machine db was removed unexpectedly"), st
    assert "Start the lab again" in st["failure_reason"] and st["ended"] == "failed"
    end = time.monotonic() + 20
    while containers(pair) or client.networks.list(filters={"label": f"opslab.session={pair}"}):
        assert time.monotonic() < end, "the rest of the sandbox was left behind"
        time.sleep(0.5)

    # a host killed, then a Check at once: an error with the reason, never a silent 0, and the
    # session fails there and then (not at the next sweep)
    sid = start(s, p, csrf, "greeting-pair")
    containers(sid)[0].kill()
    r = s.post(f"{p.url}/api/v1/sessions/{sid}/check", headers={"X-CSRFToken": csrf})
    if r.status_code == 202:  # else the sweep was quicker: 409, the session has already failed
        g = wait_grade(s, p, sid, r.json()["grade_id"], timeout=45)
        assert g["report"] is None and "stopped (exited 137) unexpectedly" in g["error"], g
    st = wait_state(s, p, sid, {"failed"}, timeout=75 if r.status_code == 202 else 5)
    assert "stopped (exited 137) unexpectedly" in st["failure_reason"], st


def test_a_start_killed_with_its_worker_is_started_again_within_seconds(platform):
    p = platform
    s, csrf = login(p, ADMIN)
    sid = s.post(p.url + "/api/v1/sessions", json={"lab": "greeting-slow-start"},
                 headers={"X-CSRFToken": csrf}).json()["id"]
    end = time.monotonic() + 60
    while True:  # the worker is running setup.sh: kill it there
        with sqlite3.connect(p.var / "opslab.db") as db:
            state, progress, by = db.execute("SELECT state, progress, claimed_by FROM lab_sessions WHERE id = ?",
                                             (sid,)).fetchone()
        if state == "provisioning" and progress == "running setup":
            break
        assert state in ("requested", "provisioning") and time.monotonic() < end, (state, progress)
        time.sleep(0.05)
    assert int(by.rpartition(":")[2]) == p.children()["worker"]
    os.kill(p.children()["worker"], signal.SIGKILL)
    t0 = time.monotonic()
    st = wait_state(s, p, sid, {"ready", "failed"}, timeout=60)
    print(f"\nstart whose worker was killed during setup: ready {time.monotonic() - t0:.1f} s after the kill")
    assert st["state"] == "ready", st
    client = docker.from_env()
    running = client.containers.list(filters={"label": f"opslab.session={sid}"})
    assert len(running) == 1 and running[0].status == "running"  # one sandbox, built again from scratch
    s.post(f"{p.url}/api/v1/sessions/{sid}/stop", headers={"X-CSRFToken": csrf})
    wait_state(s, p, sid, {"destroyed"}, timeout=90)


def test_a_hung_redis_never_hangs_a_request_nor_leaves_a_ghost(platform):
    """Redis stopped (SIGSTOP: it neither answers nor refuses, like a network that drops
    packets): a Check answers 503 with a sentence within seconds instead of hanging, a start
    is accepted and happens once Redis is back (the sweep queues it again), nothing blocks."""
    p = platform
    s, csrf = login(p, ADMIN)
    sid = start(s, p, csrf, "greeting-file")
    redis = p.children()["redis"]
    os.kill(redis, signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        r = s.post(f"{p.url}/api/v1/sessions/{sid}/check", headers={"X-CSRFToken": csrf}, timeout=30)
        took = time.monotonic() - t0
        assert r.status_code == 503 and "queue is not reachable" in r.json()["error"], r.text
        later = s.post(p.url + "/api/v1/sessions", json={"lab": "greeting-pair"}, headers={"X-CSRFToken": csrf},
                       timeout=30)
        assert later.status_code == 202 and later.json()["state"] == "requested", later.text
    finally:
        os.kill(redis, signal.SIGCONT)
        back = time.monotonic()
    print(f"\nRedis hung: a Check answered 503 after {took:.1f} s")
    assert took < 15
    st = s.get(f"{p.url}/api/v1/sessions/{sid}").json()
    assert st["pending_grade"] is None and "queue is not reachable" in st["error"]  # no ghost grade
    gid = s.post(f"{p.url}/api/v1/sessions/{sid}/check", headers={"X-CSRFToken": csrf}).json()["grade_id"]
    assert wait_grade(s, p, sid, gid, timeout=45)["report"]["score"] == 0  # Redis back: Checks work at once
    st = wait_state(s, p, later.json()["id"], {"ready", "failed"}, timeout=120)
    print(f"the start accepted while Redis hung: ready {time.monotonic() - back:.1f} s after Redis came back")
    assert st["state"] == "ready", st
    for each in (sid, later.json()["id"]):
        s.post(f"{p.url}/api/v1/sessions/{each}/stop", headers={"X-CSRFToken": csrf})
    for each in (sid, later.json()["id"]):
        wait_state(s, p, each, {"destroyed"}, timeout=90)


def test_deadlines_hold_when_the_sessions_worker_dies(platform):
    """The sessions worker holds the expiry timers (Celery keeps ETA tasks unacked for the
    broker's visibility timeout): killed, its replacement sets them again, so the time is up
    within seconds of the deadline, not at the next sweep."""
    p = platform
    s, csrf = login(p, ADMIN)
    sid = start(s, p, csrf, "greeting-file")
    os.kill(p.children()["worker"], signal.SIGKILL)
    app = create_app({"DATABASE_URL": f"sqlite:///{p.var / 'opslab.db'}", "SECRET_KEY": "t",
                      "RECORDINGS_DIR": str(p.var / "recordings")})
    with session_scope(app) as db:  # the clock runs out 15 s after the kill
        db.get(LabSession, sid).deadline = deadline = utcnow() + timedelta(seconds=15)
        db.commit()
    wait_state(s, p, sid, {"expired", "graded", "destroyed"}, timeout=60)
    with session_scope(app) as db:
        late = (aware(db.get(LabSession, sid).ended_at) - deadline).total_seconds()
    print(f"\nexpiry with the worker killed before the deadline: {late:+.1f} s from the deadline")
    assert 0 <= late < 5
    wait_state(s, p, sid, {"destroyed"}, timeout=90)
