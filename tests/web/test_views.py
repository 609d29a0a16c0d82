"""Views, authorisation and the JSON API through the Flask test client (no engine needed)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.web.conftest import csrf_from
from webapp.db import session_scope
from webapp.models import LabSession, Role, State


def add_session(app, user_id, state=State.ready, lab="greeting-file", sid=None):
    import secrets

    with session_scope(app) as s:
        ls = LabSession(id=sid or secrets.token_hex(6), user_id=user_id, lab_id=lab, lab_version="x",
                        state=state, hints_revealed={})
        s.add(ls)
        s.commit()
        return ls.id


def test_login_logout(client, make_user):
    make_user("Ann@Example.org", "password-123")
    page = client.get("/login").get_data(as_text=True)
    bad = client.post("/login", data={"csrf_token": csrf_from(page), "email": "ann@example.org", "password": "nope"})
    assert "Wrong email or password." in bad.get_data(as_text=True)
    ok = client.post("/login", data={"csrf_token": csrf_from(page), "email": "ann@example.org", "password": "password-123"})
    assert ok.status_code == 302 and ok.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "ann@example.org" in home
    assert client.post("/logout", data={"csrf_token": csrf_from(home)}).status_code == 302
    assert client.get("/").status_code == 302


def test_forms_need_a_csrf_token(client, make_user):
    make_user("ann@example.org", "password-123")
    r = client.post("/login", data={"email": "ann@example.org", "password": "password-123"})
    assert r.status_code == 400 and b"CSRF" in r.data
    assert client.get("/").status_code == 302  # still logged out


def test_login_never_redirects_off_site(client, make_user):
    make_user("ann@example.org", "password-123")
    page = client.get("/login").get_data(as_text=True)
    r = client.post("/login?next=//evil.example/x", data={"csrf_token": csrf_from(page), "email": "ann@example.org",
                                                           "password": "password-123"})
    assert r.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["//evil.example/x", "/\\evil.example", "/\\t/evil.example", "https://evil.example/"])
def test_login_refuses_every_off_site_next(client, make_user, target):
    make_user("ann@example.org", "password-123")
    page = client.get("/login").get_data(as_text=True)
    r = client.post("/login", query_string={"next": target},
                    data={"csrf_token": csrf_from(page), "email": "ann@example.org", "password": "password-123"})
    assert r.headers["Location"] == "/"


def test_passwords_are_hashed_with_scrypt(app, make_user):
    user = make_user("ann@example.org", "password-123")
    assert user.password_hash.startswith("scrypt:") and "password-123" not in user.password_hash


def test_short_passwords_are_refused(make_user):
    with pytest.raises(ValueError, match="at least 10 characters"):
        make_user("ann@example.org", "short")


def test_anonymous_users_are_sent_to_login_and_the_api_says_401(client):
    assert client.get("/").headers["Location"].startswith("/login")
    r = client.get("/api/v1/labs")
    assert r.status_code == 401 and "log in" in r.json["error"]


def test_catalogue_lists_and_filters(client, login):
    login()
    assert b'data-lab="greeting-file"' in client.get("/").data
    assert b'data-lab="greeting-file"' in client.get("/?skill=linux&difficulty=beginner").data
    assert b'data-lab="greeting-file"' not in client.get("/?difficulty=advanced").data
    assert b"No lab matches these filters." in client.get("/?skill=terraform").data


def test_session_pages_are_for_their_owner_and_admins(app, client, login, make_user):
    other = make_user("bob@example.org", "password-123")
    sid = add_session(app, other.id)
    login()
    assert client.get(f"/sessions/{sid}").status_code == 404
    assert client.get(f"/api/v1/sessions/{sid}").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))})
    login("root@example.org", Role.admin)
    page = client.get(f"/sessions/{sid}")
    assert page.status_code == 200 and b"Write the greeting file" in page.data


def test_session_page_renders_the_readme_sanitised(app, client, login, tmp_path, monkeypatch):
    from webapp.rendering import render_markdown

    html = str(render_markdown('# Hi\n<script>alert(1)</script>\n[x](javascript:alert(1)) `code` '
                           '<a href="javascript:x">y</a> [ok](https://a.example)'))
    assert "<script>" not in html
    assert '<a href="javascript' not in html  # raw HTML is shown as text, never as a live link
    assert "<code>code</code>" in html and '<a href="https://a.example" rel="noopener noreferrer">ok</a>' in html
    user, _ = login()
    sid = add_session(app, user.id)
    assert b"<h1>Greeting</h1>" in client.get(f"/sessions/{sid}").data


def test_api_start_errors_say_what_to_do(client, login):
    _, csrf = login()
    r = client.post("/api/v1/sessions", json={}, headers={"X-CSRFToken": csrf})
    assert r.status_code == 400 and "GET /api/v1/labs" in r.json["error"]
    r = client.post("/api/v1/sessions", json={"lab": "no-such-lab"}, headers={"X-CSRFToken": csrf})
    assert r.status_code == 404 and "known labs: greeting-file" in r.json["error"]
    r = client.post("/api/v1/sessions", json={"lab": "greeting-file"})
    assert r.status_code == 400 and "X-CSRFToken" in r.json["error"]


def test_per_user_cap_and_global_capacity(app, client, login, make_user):
    user, csrf = login()
    for lab in ("lab-one", "lab-two"):
        add_session(app, user.id, State.provisioning, lab=lab)
    r = client.post("/api/v1/sessions", json={"lab": "greeting-file"}, headers={"X-CSRFToken": csrf})
    assert r.status_code == 429 and "stop one before starting another" in r.json["error"]
    page = client.post("/labs/greeting-file/start", data={"csrf_token": csrf})
    html = page.get_data(as_text=True)
    assert page.status_code == 429 and "<h1>Too many at once</h1>" in html
    card = html[html.index('<section class="card narrow">'):]  # the nav links to My sessions too
    assert "You already have 2 labs running" in card and 'href="/sessions">My sessions</a>' in card
    app.config["MAX_SESSIONS_PER_USER"] = 10
    app.config["CAPACITY"] = 2
    r = client.post("/api/v1/sessions", json={"lab": "greeting-file"}, headers={"X-CSRFToken": csrf})
    assert r.status_code == 202 and r.json["state"] == "requested"  # full: it waits in line
    assert r.json["queue"]["position"] == 1 and "number 1 in line" in r.json["progress"]


def test_a_full_platform_queues_starts_and_admits_them_as_slots_free(app, client, login, make_user):
    from webapp import services
    from webapp.models import LabSession

    app.config["CAPACITY"] = 1
    first, csrf1 = login("first@example.org")
    r = client.post("/api/v1/sessions", json={"lab": "greeting-file"}, headers={"X-CSRFToken": csrf1})
    running = r.json["id"]
    assert r.json["queue"] is None
    with session_scope(app) as s:  # it is ready, with 10 minutes left
        ls = s.get(LabSession, running)
        ls.state, ls.deadline = State.ready, services.utcnow() + timedelta(minutes=10)
        s.commit()
    client.post("/logout", data={"csrf_token": csrf1})
    waiting = []
    for who in ("second@example.org", "third@example.org"):
        _, csrf = login(who)
        r = client.post("/api/v1/sessions", json={"lab": "greeting-file"}, headers={"X-CSRFToken": csrf})
        waiting.append(r.json["id"])
        client.post("/logout", data={"csrf_token": csrf})
    with session_scope(app) as s:
        places = [services.queue_place(s, s.get(LabSession, sid)) for sid in waiting]
        assert [p["position"] for p in places] == [1, 2]
        assert 540 <= places[0]["estimate_seconds"] <= 600 and places[1]["estimate_seconds"] is None
        assert services.admit(s, app.config) == []  # no slot yet
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"csrf_token": csrf_from(page), "email": "first@example.org", "password": "password-123"})
    csrf = csrf_from(client.get("/").get_data(as_text=True))
    client.post(f"/api/v1/sessions/{running}/stop", headers={"X-CSRFToken": csrf})  # a slot frees: the first in line
    with session_scope(app) as s:
        rows = {sid: s.get(LabSession, sid) for sid in waiting}
        assert rows[waiting[0]].queued_at is None and rows[waiting[0]].progress == "waiting for a worker"
        assert rows[waiting[1]].queued_at is not None
        assert services.queue_place(s, rows[waiting[1]])["position"] == 1
        assert waiting[0] in services.stalled_starts(s, unclaimed_after=-1)  # the sweep would queue it again
        assert waiting[1] not in services.stalled_starts(s, unclaimed_after=-1)  # never a waiting one


def test_hints_are_revealed_one_at_a_time(app, client, login):
    user, csrf = login()
    sid = add_session(app, user.id)
    assert client.get(f"/api/v1/sessions/{sid}").json["tasks"][0]["hints"] == []
    r = client.post(f"/api/v1/sessions/{sid}/hints", json={"task": "greeting-present"}, headers={"X-CSRFToken": csrf})
    assert r.json["hints"] == ["echo is enough"]
    r = client.post(f"/api/v1/sessions/{sid}/hints", json={"task": "greeting-present"}, headers={"X-CSRFToken": csrf})
    assert r.json["hints"] == ["echo is enough"]  # there is only one
    assert client.get(f"/api/v1/sessions/{sid}").json["tasks"][0]["hints_left"] == 0
    r = client.post(f"/api/v1/sessions/{sid}/hints", json={"task": "nope"}, headers={"X-CSRFToken": csrf})
    assert r.status_code == 404


def test_bad_bodies_and_paths_as_lab_ids(client, login):
    _, csrf = login()
    for body in ([1, 2], "lab", 7):
        r = client.post("/api/v1/sessions", json=body, headers={"X-CSRFToken": csrf})
        assert r.status_code == 400 and "error" in r.json
    r = client.post("/api/v1/sessions", json={"lab": "/etc"}, headers={"X-CSRFToken": csrf})
    assert r.status_code == 404 and "is not a lab id" in r.json["error"]


def test_one_check_at_a_time(app, client, login):
    from webapp.models import Grade

    user, csrf = login()
    sid = add_session(app, user.id)
    with session_scope(app) as s:
        s.add(Grade(session_id=sid))
        s.commit()
    r = client.post(f"/api/v1/sessions/{sid}/check", headers={"X-CSRFToken": csrf})
    assert r.status_code == 409 and "already running" in r.json["error"]


def test_a_lost_check_does_not_block_the_next_one(app, login):
    from datetime import timedelta

    from webapp import services
    from webapp.models import Grade, LabSession

    user, _ = login()
    sid = add_session(app, user.id)
    with session_scope(app) as s:
        lost = Grade(session_id=sid, created_at=services.utcnow() - timedelta(minutes=11))
        recent = Grade(session_id=add_session(app, user.id), created_at=services.utcnow() - timedelta(minutes=2))
        s.add_all([lost, recent])
        s.commit()
        new = services.request_grade(s, s.get(LabSession, sid))
        s.refresh(lost)
        assert lost.error == "this check was lost on the way; press Check again" and lost.done_at
        assert new.id != lost.id and new.done_at is None
        assert services.fail_lost_checks(s) == []  # the sweep: the new one and a 2-minute-old one are running
        assert s.get(Grade, recent.id).done_at is None


def test_check_is_refused_unless_ready(app, client, login):
    user, csrf = login()
    sid = add_session(app, user.id, State.provisioning)
    r = client.post(f"/api/v1/sessions/{sid}/check", headers={"X-CSRFToken": csrf})
    assert r.status_code == 409 and "checks run only while it is ready" in r.json["error"]


def test_bearer_tokens(app, client, make_user):
    from webapp.auth import issue_api_token

    user = make_user()
    with session_scope(app) as s:
        token = issue_api_token(s, s.get(type(user), user.id))
    assert client.get("/api/v1/labs", headers={"Authorization": f"Bearer {token}"}).json["labs"][0]["id"] == "greeting-file"
    r = client.get("/api/v1/labs", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401 and "opslab user token" in r.json["error"]


def test_openapi_describes_every_api_route(app, client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    documented = {"/api/v1" + p for p in doc["paths"]}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and not rule.rule.endswith("openapi.json"):
            path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
            assert path in documented, f"{path} is not in the OpenAPI document"


def test_user_cli(app, monkeypatch, tmp_path):
    from click.testing import CliRunner

    from opslab.cli import main

    monkeypatch.setenv("OPSLAB_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("OPSLAB_VAR", str(tmp_path))
    r = CliRunner().invoke(main, ["user", "create", "Dee@example.org", "--role", "reviewer", "--password", "password-123"])
    assert r.exit_code == 0 and "created reviewer dee@example.org" in r.output
    again = CliRunner().invoke(main, ["user", "create", "dee@example.org", "--password", "password-123"])
    assert again.exit_code == 1 and "already exists" in again.output
    token = CliRunner().invoke(main, ["user", "token", "dee@example.org"])
    assert token.exit_code == 0 and token.stdout.startswith("opsl_")
    reset = CliRunner().invoke(main, ["user", "password", "dee@example.org", "--password", "another-password-1"])
    assert reset.exit_code == 0 and "password of dee@example.org changed" in reset.output
    missing = CliRunner().invoke(main, ["user", "password", "nobody@example.org", "--password", "another-password-1"])
    assert missing.exit_code == 1 and "opslab user create" in missing.output


def test_the_reaper_keeps_what_a_final_grade_still_needs(app, make_user):
    from datetime import timedelta

    from webapp import services
    from webapp.models import LabSession

    user = make_user()
    now = services.utcnow()
    ready = add_session(app, user.id, State.ready)
    forgotten = add_session(app, user.id, State.ready)  # its expiry never ran, and beat is down
    stopped = add_session(app, user.id, State.submitted)
    long_stuck = add_session(app, user.id, State.expired)
    add_session(app, user.id, State.destroyed)
    with session_scope(app) as s:
        s.get(LabSession, ready).deadline = now + timedelta(minutes=20)
        s.get(LabSession, forgotten).deadline = now - timedelta(hours=2)
        s.get(LabSession, stopped).ended_at = now - timedelta(minutes=10)
        s.get(LabSession, long_stuck).ended_at = now - timedelta(hours=2)  # its finish keeps failing
        s.commit()
        assert services.sandboxes_to_keep(s) == {ready, stopped}


def test_a_grade_is_claimed_once_and_the_final_grade_waits_for_a_check(app, make_user):
    from datetime import timedelta

    from webapp import services
    from webapp.models import Grade

    user = make_user()
    sid = add_session(app, user.id, State.submitted)
    with session_scope(app) as s:
        check = Grade(session_id=sid)
        s.add(check)
        s.commit()
        assert services._claim(s, check) and not services._claim(s, check)  # a second delivery does nothing
        with pytest.raises(services.GradeInFlight):
            services.finish(s, sid)  # the Check above is still grading this sandbox
        check.done_at = services.utcnow()
        stale = Grade(session_id=sid, final=True, started_at=services.utcnow() - timedelta(minutes=11))
        s.add(stale)
        s.commit()
        assert services._claim(s, stale)  # its worker is long gone: taken over


def test_every_grading_failure_is_recorded_and_shown(app, client, login, monkeypatch):
    """A grade never stays pending on an error (which would block Checks): the page and the
    API show one sentence, whether the lab changed or the platform failed."""
    from opslab import engine
    from webapp import services
    from webapp.models import Grade

    user, _ = login()
    stale = add_session(app, user.id)  # started on lab version "x": the lab has changed since
    current = add_session(app, user.id)
    with session_scope(app) as s:
        s.get(LabSession, current).lab_version = engine.find_lab_cached("greeting-file").version
        grades = [services.request_grade(s, s.get(LabSession, sid)).id for sid in (stale, current)]

    def engine_down(session, lab=None):
        raise RuntimeError("a Docker API error nobody expected")

    monkeypatch.setattr(engine, "grade_session", engine_down)
    with session_scope(app) as s:
        for gid in grades:
            services.grade(s, gid)
        stale_grade, current_grade = (s.get(Grade, gid) for gid in grades)
        assert stale_grade.done_at and stale_grade.error.startswith("this lab was updated after your session started")
        assert current_grade.done_at and current_grade.error.startswith("grading failed on the platform's side")
    r = client.get(f"/api/v1/sessions/{current}")
    assert r.json["error"].startswith("grading failed on the platform's side") and r.json["pending_grade"] is None
    r = client.get(f"/api/v1/sessions/{current}/grades/{grades[1]}")
    assert r.json["done"] and r.json["report"] is None and r.json["error"].startswith("grading failed")
    with session_scope(app) as s:  # the next Check is not blocked
        assert services.request_grade(s, s.get(LabSession, current)).done_at is None


def test_a_lab_error_reaches_the_candidate_as_one_sentence(app, client, login):
    from opslab.engine import Report
    from webapp.models import Grade

    user, _ = login()
    sid = add_session(app, user.id)
    report = Report("greeting-file", "x", "1", [], 0.1, 0.0, lab_error="checks/test_x.py: ImportError")
    with session_scope(app) as s:
        s.add(Grade(session_id=sid, report=report.to_dict(), done_at=s.get(LabSession, sid).created_at))
        s.commit()
    body = client.get(f"/api/v1/sessions/{sid}").json
    assert body["error"] == "grading is unavailable for this lab right now"
    assert "ImportError" not in str(body)


def test_caps_hold_under_parallel_starts(app, make_user):
    """Count-then-insert is one atomic step: parallel starts never pass a cap (SQLite ignores
    FOR UPDATE; the start takes the database's write lock first)."""
    import threading

    from webapp import services
    from webapp.models import User

    def start_all(users, n_each, config) -> tuple[int, list[int]]:
        barrier, made, refused = threading.Barrier(len(users) * n_each), set(), []

        def one(uid):
            with session_scope(app) as s:
                barrier.wait()
                try:
                    made.add(services.start_session(s, s.get(User, uid), "greeting-file", config).id)
                except services.SessionError as e:
                    refused.append(e.status)

        threads = [threading.Thread(target=one, args=(u,)) for u in users for _ in range(n_each)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return len(made), refused

    one_user = make_user("busy@example.org").id  # six clicks on Start at once: one sandbox, resumed five times
    made, refused = start_all([one_user], 6, {"MAX_SESSIONS_PER_USER": 2, "CAPACITY": 100})
    assert made == 1 and refused == []
    add_session(app, one_user, State.ready, lab="another-lab")  # at the cap now
    crowd = [make_user(f"c{i}@example.org").id for i in range(12)]
    made, refused = start_all(crowd, 1, {"MAX_SESSIONS_PER_USER": 2, "CAPACITY": 10})  # 2 slots already taken
    assert made == 12 and refused == []
    with session_scope(app) as s:
        assert services.running_count(s) == 10  # the cap held under the race: the rest wait in line
        waiting = s.scalars(select(LabSession).where(LabSession.queued_at.is_not(None))).all()
        assert sorted(services.queue_place(s, w)["position"] for w in waiting) == [1, 2, 3, 4]


def test_a_check_the_queue_cannot_take_ends_with_a_sentence(app, client, login):
    """Redis away: the Check is not left pending (which would block Checks for minutes)."""
    user, csrf = login()
    sid = add_session(app, user.id)
    r = client.post(f"/api/v1/sessions/{sid}/check", headers={"X-CSRFToken": csrf})  # REDIS_URL points nowhere
    assert r.status_code == 503 and "queue is not reachable" in r.json["error"]
    body = client.get(f"/api/v1/sessions/{sid}").json
    assert body["pending_grade"] is None and "queue is not reachable" in body["error"]


def test_starts_lost_on_the_way_or_held_by_a_dead_worker_are_queued_again(app, make_user):
    from datetime import timedelta

    from webapp import services

    uid = make_user().id
    fresh, lost, dead, live = (add_session(app, uid, st) for st in
                               (State.requested, State.requested, State.provisioning, State.provisioning))
    with session_scope(app) as s:
        s.get(LabSession, lost).created_at = services.utcnow() - timedelta(minutes=2)
        host = services.worker_id().rpartition(":")[0]
        s.get(LabSession, dead).claimed_by, s.get(LabSession, dead).claimed_at = f"{host}:999999999", services.utcnow()
        s.get(LabSession, live).claimed_by, s.get(LabSession, live).claimed_at = services.worker_id(), services.utcnow()
        s.commit()
        assert sorted(services.stalled_starts(s)) == sorted([lost, dead])


def test_a_service_host_gets_no_terminal(app, client, login, tmp_path, monkeypatch):
    import shutil

    import yaml

    from tests.conftest import FIXTURE_LABS

    root = tmp_path / "labs"
    shutil.copytree(FIXTURE_LABS / "greeting-file", root / "greeting-file")
    spec = yaml.safe_load((root / "greeting-file" / "lab.yaml").read_text())
    spec["sandbox"]["hosts"].append({"name": "emulator", "image": "opslab/base", "shell": False})
    (root / "greeting-file" / "lab.yaml").write_text(yaml.safe_dump(spec))
    monkeypatch.setenv("OPSLAB_LABS", str(root))
    user, _ = login()
    sid = add_session(app, user.id)
    assert client.get(f"/api/v1/sessions/{sid}").json["hosts"] == ["box"]
    assert 'data-hosts="box"' in client.get(f"/sessions/{sid}").get_data(as_text=True)  # one terminal tab


def test_session_page_shows_the_sessions_own_parameters(app, client, login, tmp_path, monkeypatch):
    import shutil

    import yaml

    from grader.params import draw
    from opslab import engine
    from tests.conftest import FIXTURE_LABS

    labs = tmp_path / "labs"
    shutil.copytree(FIXTURE_LABS, labs)
    lab_dir = labs / "greeting-file"
    data = yaml.safe_load((lab_dir / "lab.yaml").read_text())
    data["params"] = {"word": {"choice": ["hello", "howdy", "ahoy"]}}
    (lab_dir / "lab.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    (lab_dir / "README.md").write_text("# Greeting\n\nWrite **{{ params.word }}** into `/srv/greeting.txt`.\n")
    monkeypatch.setenv("OPSLAB_LABS", str(labs))
    lab = engine.find_lab("greeting-file")
    user, _ = login()
    ids = [engine.new_session_id() for _ in range(12)]
    words = {}
    for sid in ids:
        words.setdefault(draw(lab.spec.params, sid)["word"], sid)
    assert len(words) >= 2
    for word, sid in words.items():
        add_session(app, user.id, sid=sid)
        page = client.get(f"/sessions/{sid}").get_data(as_text=True)
        assert f"Write <strong>{word}</strong> into" in page and "params.word" not in page
        assert engine.session_params(lab, sid) == {"word": word}
