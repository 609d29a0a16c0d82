"""The platform end to end with a real Redis, Celery worker, gunicorn and Docker engine."""

from __future__ import annotations

import json
import os
import re
import signal
import time

import pytest
import requests
import websocket
from sqlalchemy import select

from tests.platform import ADMIN, CANDIDATE
from webapp.db import session_scope
from webapp.models import LabSession, SavedWork, State

# The server ends a terminal (refused or over) with a close frame, or with a reset
# when the client's bytes were still unread on its side: either way the shell is gone.
ENDED = (websocket.WebSocketConnectionClosedException, ConnectionResetError)


def login(platform, who) -> tuple[requests.Session, str]:
    s = requests.Session()
    page = s.get(platform.url + "/login").text
    token = re.search(r'csrf-token" content="([^"]+)"', page).group(1)
    r = s.post(platform.url + "/login", data={"csrf_token": token, "email": who[0], "password": who[1]})
    assert r.url == platform.url + "/"
    return s, re.search(r'csrf-token" content="([^"]+)"', r.text).group(1)


def wait_state(s, platform, sid, states, timeout=60) -> dict:
    end = time.time() + timeout
    while time.time() < end:
        st = s.get(f"{platform.url}/api/v1/sessions/{sid}").json()
        if st["state"] in states:
            return st
        time.sleep(0.1)
    raise AssertionError(f"session {sid} stuck in {st['state']}")


def terminal(platform, s, sid, host="box") -> websocket.WebSocket:
    cookie = "; ".join(f"{c.name}={c.value}" for c in s.cookies)
    ws = websocket.create_connection(f"{platform.url.replace('http', 'ws')}/sessions/{sid}/terminal/{host}?cols=100&rows=30",
                                     header=[f"Cookie: {cookie}"], timeout=15)
    return ws


def read_until(ws, needle: str, timeout=15) -> str:
    out, end = "", time.time() + timeout
    while needle not in out:
        if time.time() > end:
            raise AssertionError(f"{needle!r} never appeared in: {out[-500:]!r}")
        frame = ws.recv()
        out += frame.decode(errors="replace") if isinstance(frame, bytes) else frame
    return out


def check(s, platform, csrf, sid) -> dict:
    gid = s.post(f"{platform.url}/api/v1/sessions/{sid}/check", headers={"X-CSRFToken": csrf}).json()["grade_id"]
    end = time.time() + 60
    while time.time() < end:
        r = s.get(f"{platform.url}/api/v1/sessions/{sid}/grades/{gid}").json()
        if r["done"]:
            return r
        time.sleep(0.1)
    raise AssertionError("grading never finished")


def test_a_lab_from_start_to_destroyed(platform, provider):
    s, csrf = login(platform, CANDIDATE)
    r = s.post(platform.url + "/api/v1/sessions", json={"lab": "greeting-file"}, headers={"X-CSRFToken": csrf})
    assert r.status_code == 202 and r.json()["state"] == "requested"
    sid = r.json()["id"]
    st = wait_state(s, platform, sid, {"ready", "failed"})
    assert st["state"] == "ready", st["failure_reason"]
    assert st["seconds_left"] > 250 and st["deadline"]

    first = check(s, platform, csrf, sid)
    assert first["report"]["score"] == 0 and first["error"] is None

    ws = terminal(platform, s, sid)
    read_until(ws, "root@box")
    ws.send(json.dumps({"r": [120, 40]}))
    ws.send(json.dumps({"i": "echo hello > /srv/greeting.txt && chmod 600 /srv/greeting.txt && echo fixed-$((6*7))\r"}))
    read_until(ws, "fixed-42")
    ws.close()

    final = check(s, platform, csrf, sid)
    assert final["report"]["score"] == 3 and all(t["passed"] for t in final["report"]["tasks"])
    assert "details" not in final["report"]  # candidates never see check internals

    cast = (platform.var / "recordings" / sid / "box.cast").read_text().splitlines()
    header = json.loads(cast[0])
    assert header["version"] == 2 and header["width"] == 100
    events = [json.loads(x) for x in cast[1:]]
    assert any(e[1] == "o" and "fixed-42" in e[2] for e in events)
    assert any(e[1] == "i" and "greeting.txt" in e[2] for e in events)
    assert ["r", "120x40"] in [e[1:] for e in events]

    stopped = s.post(f"{platform.url}/api/v1/sessions/{sid}/stop", headers={"X-CSRFToken": csrf})
    assert stopped.json()["state"] == "submitted"
    done = wait_state(s, platform, sid, {"destroyed"})
    assert done["score"] == 3  # the final grade is kept
    assert provider.list(sid) == []


def test_only_the_owner_or_an_admin_attaches_to_the_terminal(platform):
    s, csrf = login(platform, CANDIDATE)
    sid = s.post(platform.url + "/api/v1/sessions", json={"lab": "greeting-file"},
                 headers={"X-CSRFToken": csrf}).json()["id"]
    try:
        wait_state(s, platform, sid, {"ready"})
        anon = requests.Session()
        ws = terminal(platform, anon, sid)
        with pytest.raises(ENDED):
            ws.recv()
            ws.recv()
        admin, _ = login(platform, ADMIN)
        ws = terminal(platform, admin, sid)
        assert "root@box" in read_until(ws, "root@box")
        ws.close()
    finally:
        s.post(f"{platform.url}/api/v1/sessions/{sid}/stop", headers={"X-CSRFToken": csrf})
        wait_state(s, platform, sid, {"destroyed"})


def test_a_check_does_not_wait_for_the_sandbox_worker(platform):
    """Checks have their own queue and worker: with the sessions worker frozen (as if busy
    starting sandboxes), a Check still comes back, and a new sandbox waits its turn."""
    s, csrf = login(platform, CANDIDATE)
    s2, csrf2 = login(platform, ADMIN)  # someone else starts next (a second Start of yours resumes yours)
    sid = s.post(platform.url + "/api/v1/sessions", json={"lab": "greeting-file"},
                 headers={"X-CSRFToken": csrf}).json()["id"]
    other = None
    sessions_worker = platform.procs["worker"]
    try:
        wait_state(s, platform, sid, {"ready"})
        os.killpg(sessions_worker.pid, signal.SIGSTOP)
        other = s2.post(platform.url + "/api/v1/sessions", json={"lab": "greeting-file"},
                        headers={"X-CSRFToken": csrf2}).json()["id"]
        assert check(s, platform, csrf, sid)["report"]["score"] == 0
        assert s2.get(f"{platform.url}/api/v1/sessions/{other}").json()["state"] == "requested"
    finally:
        os.killpg(sessions_worker.pid, signal.SIGCONT)
        for who, token, x in ((s, csrf, sid), (s2, csrf2, other)):
            if x:
                who.post(f"{platform.url}/api/v1/sessions/{x}/stop", headers={"X-CSRFToken": token})
        for who, x in ((s, sid), (s2, other)):
            if x:
                wait_state(who, platform, x, {"destroyed", "failed"})


def test_expiry_grades_and_destroys_and_runs_safely_twice(platform, provider, monkeypatch):
    from webapp import services

    for name in ("OPSLAB_LABS", "OPSLAB_VAR"):  # this process grades and saves as a worker would
        monkeypatch.setenv(name, platform.env[name])

    s, csrf = login(platform, CANDIDATE)
    sid = s.post(platform.url + "/api/v1/sessions", json={"lab": "greeting-file"},
                 headers={"X-CSRFToken": csrf}).json()["id"]
    wait_state(s, platform, sid, {"ready"})
    app = platform.app()
    with app.app_context(), session_scope(app) as db:
        ls = db.get(LabSession, sid)
        ls.deadline = services.utcnow()
        db.commit()
        assert services.due_for_expiry(db) == [sid]
        assert services.expire(db, sid) is True
        assert services.expire(db, sid) is False  # a second delivery does nothing
        services.finish(db, sid)
        services.finish(db, sid)
        db.refresh(ls)
        assert ls.state == State.destroyed
        assert [g.final for g in ls.grades] == [True]
        kept = db.scalars(select(SavedWork).where(SavedWork.session_id == sid)).all()  # practice: saved at time-up
        assert [(w.error, [h["name"] for h in w.hosts]) for w in kept] == [(None, ["box"])]
        assert (platform.var / "saved-work" / str(ls.user_id) / sid / "manifest.json").is_file()
    assert provider.list(sid) == []


def test_provisioning_failure_is_readable(platform, greeting_lab_dir, monkeypatch):
    from grader.loader import load_lab
    from webapp import services

    yaml_file = greeting_lab_dir / "lab.yaml"
    yaml_file.write_text(yaml_file.read_text().replace("image: opslab/base", "image: opslab/never-built"))
    monkeypatch.setenv("OPSLAB_LABS", str(greeting_lab_dir.parent))
    app = platform.app()
    with app.app_context(), session_scope(app) as db:
        ls = LabSession(id="badimage0001", user_id=1, lab_id="greeting-file",
                        lab_version=load_lab(greeting_lab_dir).version, state=State.requested, hints_revealed={})
        db.add(ls)
        db.commit()
        services.provision(db, ls.id)
        db.refresh(ls)
        assert ls.state == State.failed
        assert "image is not built yet" in ls.failure_reason and "opslab images build" in ls.failure_reason
        services.provision(db, ls.id)  # redelivered: nothing changes
        db.refresh(ls)
        assert ls.state == State.failed


def test_terminal_rules_one_writer_same_origin_ends_with_the_lab(platform, provider):
    s, csrf = login(platform, CANDIDATE)
    sid = s.post(platform.url + "/api/v1/sessions", json={"lab": "greeting-file"},
                 headers={"X-CSRFToken": csrf}).json()["id"]
    wait_state(s, platform, sid, {"ready"})
    box = provider.get(sid)
    shells = "ps -eo args | grep -c '^-opslab-tty-'"
    # another site's page cannot drive the terminal with the candidate's cookie: 403, no upgrade
    cookie = "; ".join(f"{c.name}={c.value}" for c in s.cookies)
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(f"{platform.url.replace('http', 'ws')}/sessions/{sid}/terminal/box",
                                    header=[f"Cookie: {cookie}"], origin="http://evil.example", timeout=15)
    assert refused.value.status_code == 403
    first = terminal(platform, s, sid)
    assert '"role": "writer"' in read_until(first, "root@box")
    first.send(json.dumps({"i": "cd /srv\r"}))
    read_until(first, "root@box:/srv#")
    second = terminal(platform, s, sid)  # the same terminal in another window: it watches
    out = read_until(second, "root@box:/srv#")  # the same shell, its recent output replayed
    assert '"role": "watcher"' in out and '"can_take": true' in out
    second.send(json.dumps({"i": "echo typed-by-the-watcher\r"}))  # ignored
    first.send(json.dumps({"i": "echo from-$((2*3))-first\r"}))
    read_until(second, "from-6-first")
    second.send(json.dumps({"take": True}))  # "Use this window"
    read_until(first, '"role": "watcher"')
    second.send(json.dumps({"i": "echo from-$((3*3))-second\r"}))
    assert "typed-by-the-watcher" not in read_until(first, "from-9-second")  # nobody was thrown out
    assert box.exec("box", ["sh", "-c", shells]).stdout.strip() == "1"  # one shell, kept
    first.close()
    second.close()
    time.sleep(0.5)
    assert box.exec("box", ["sh", "-c", shells]).stdout.strip() == "1"  # it outlives its windows
    again = terminal(platform, s, sid)
    read_until(again, "from-9-second")
    s.post(f"{platform.url}/api/v1/sessions/{sid}/stop", headers={"X-CSRFToken": csrf})
    with pytest.raises(ENDED):  # the lab ended: so does the shell
        while True:
            again.recv()
    wait_state(s, platform, sid, {"destroyed"})


def test_a_stop_during_provisioning_wins(platform, provider):
    """Stop while the sandbox is being started: the session ends destroyed, the start that
    finishes afterwards does not overwrite it, and its sandbox is removed."""
    s, csrf = login(platform, ADMIN)
    worker = platform.procs["worker"]
    for _ in range(5):  # catch the start in the act (it takes about a second)
        sid = s.post(platform.url + "/api/v1/sessions", json={"lab": "greeting-file"},
                     headers={"X-CSRFToken": csrf}).json()["id"]
        st = wait_state(s, platform, sid, {"provisioning", "ready"}, timeout=30)
        if st["state"] == "provisioning":
            break
        s.post(f"{platform.url}/api/v1/sessions/{sid}/stop", headers={"X-CSRFToken": csrf})
        wait_state(s, platform, sid, {"destroyed"})
    else:
        pytest.fail("never saw a session in provisioning")
    os.killpg(worker.pid, signal.SIGSTOP)
    try:
        assert s.post(f"{platform.url}/api/v1/sessions/{sid}/stop", headers={"X-CSRFToken": csrf}).json()["state"] \
            == "destroyed"
    finally:
        os.killpg(worker.pid, signal.SIGCONT)
    end = time.time() + 30
    while provider.list(sid):
        assert time.time() < end, "the sandbox of a stopped start outlived it"
        time.sleep(0.2)
    time.sleep(1)
    assert s.get(f"{platform.url}/api/v1/sessions/{sid}").json()["state"] == "destroyed"
