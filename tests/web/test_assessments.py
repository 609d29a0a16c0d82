"""Timed assessments for hiring teams: teams and who sees what, role templates, invites
(single use, expiry, revocation), the attempt's clock, reports and exports, API and CLI."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.web.conftest import csrf_from
from webapp import assessments, invites
from webapp.db import session_scope
from webapp.models import Assessment, Grade, Invite, LabSession, Mode, Role, State, Team, User, utcnow

PW = "password-123"


@pytest.fixture
def world(app, make_user, monkeypatch):
    """Two teams with a reviewer each, an assessment of team A with one invite, and the
    other actors; provisioning is not enqueued (no Redis here)."""
    from webapp import tasks

    monkeypatch.setattr(tasks, "enqueue_provision", lambda sid: None)
    monkeypatch.setattr(tasks, "enqueue_finish", lambda sid: None)
    with session_scope(app) as s:
        a_team, b_team = Team(name="Acme"), Team(name="Other")
        s.add_all([a_team, b_team])
        s.commit()
        ids = {"team_a": a_team.id, "team_b": b_team.id}
    for email, role, team in (("rev@acme.test", Role.reviewer, "team_a"), ("rev@other.test", Role.reviewer, "team_b"),
                              ("cand@x.test", Role.candidate, None), ("inst@x.test", Role.instructor, None),
                              ("admin@x.test", Role.admin, None)):
        u = make_user(email, PW, role)
        with session_scope(app) as s:
            s.get(User, u.id).team_id = ids.get(team)
            s.commit()
    with session_scope(app) as s:
        a = assessments.create_assessment(s, s.get(Team, ids["team_a"]), {
            "title": "Platform lead", "labs": [{"lab": "greeting-file", "weight": 2}], "time_limit": "10m",
            "mode": "exam"})
        inv, token = invites.create_invite(s, a, "Ada <ada@example.org>", 5)
        ids.update(assessment=a.id, invite=inv.id, token=token)
    return ids


def log_in(client, email):
    client.get("/logout")
    with client.session_transaction() as sess:
        sess.clear()
    page = client.get("/login").get_data(as_text=True)
    assert client.post("/login", data={"csrf_token": csrf_from(page), "email": email, "password": PW}).status_code == 302
    return csrf_from(client.get("/login").get_data(as_text=True))


def start_invite(client, token):
    with client.session_transaction() as sess:
        sess.clear()
    page = client.get(f"/invite/{token}")
    assert page.status_code == 200, page.get_data(as_text=True)
    return client.post(f"/invite/{token}/start", data={"csrf_token": csrf_from(page.get_data(as_text=True))})


# -- who sees what ----------------------------------------------------------------------------

ROUTES = ["/assessments/{assessment}", "/assessments/{assessment}/results.csv", "/invites/{invite}/report",
          "/invites/{invite}/skills.svg", "/api/v1/assessments/{assessment}", "/api/v1/invites/{invite}/report",
          "/api/v1/assessments/{assessment}/results"]
EXPECTED = {"anonymous": (302, 401), "cand@x.test": (403, 403), "invitee": (302, 302), "rev@acme.test": (200, 200),
            "rev@other.test": (404, 404), "inst@x.test": (403, 403), "admin@x.test": (200, 200)}


@pytest.mark.parametrize("actor", list(EXPECTED))
def test_only_the_team_and_admins_reach_assessments_invites_and_reports(client, world, actor):
    if actor == "invitee":
        start_invite(client, world["token"])
    elif actor != "anonymous":
        log_in(client, actor)
    page, api = EXPECTED[actor]
    for route in ROUTES:
        r = client.get(route.format(**world))
        want = api if route.startswith("/api/") else page
        assert r.status_code == want, f"{actor} {route}: {r.status_code}"
    listing = client.get("/api/v1/assessments")
    if actor == "rev@other.test":  # a reviewer of another team sees none of team A's
        assert listing.json["assessments"] == []
    if actor in ("rev@acme.test", "admin@x.test"):
        assert [a["title"] for a in listing.json["assessments"]] == ["Platform lead"]


@pytest.mark.parametrize("actor, status", [("rev@other.test", 404), ("cand@x.test", 403), ("inst@x.test", 403)])
def test_outside_the_team_nobody_invites_revokes_or_replays(app, client, world, actor, status):
    csrf = log_in(client, actor)
    aid, iid = world["assessment"], world["invite"]
    assert client.post(f"/invites/{iid}/revoke", data={"csrf_token": csrf}).status_code == status
    assert client.post(f"/assessments/{aid}/invites", data={"csrf_token": csrf, "label": "x"}).status_code == status
    assert client.get(f"/invites/{iid}/recordings/abc/box.cast").status_code == status
    h = {"X-CSRFToken": csrf}
    assert client.post(f"/api/v1/invites/{iid}/revoke", headers=h).status_code == status
    assert client.post(f"/api/v1/assessments/{aid}/invites", json={"label": "x"}, headers=h).status_code == status
    assert client.get("/assessments/new").status_code == (403 if status == 403 else 200)
    with session_scope(app) as s:
        assert s.get(Invite, iid).revoked_at is None and len(s.get(Assessment, aid).invites) == 1


def test_the_invitee_is_fenced_into_its_attempt_and_exam_mode_has_no_checks_or_hints(app, client, world):
    r = start_invite(client, world["token"])
    assert r.status_code == 302 and r.headers["Location"].startswith("/sessions/")
    sid = r.headers["Location"].rsplit("/", 1)[1]
    page = client.get(f"/sessions/{sid}").get_data(as_text=True)
    assert 'data-mode="exam"' in page and "Submit lab" in page and "Show a hint" not in page
    assert "Platform lead · lab 1 of 1 ·" in page
    for path in ("/", "/sessions", "/assessments", "/labs/greeting-file/start"):
        assert client.get(path).headers.get("Location", "").endswith("/attempt"), path
    with session_scope(app) as s:
        s.get(LabSession, sid).state = State.ready
        s.commit()
    csrf = csrf_from(page)
    r = client.post(f"/api/v1/sessions/{sid}/check", headers={"X-CSRFToken": csrf})
    assert r.status_code == 409 and "this is an exam" in r.json["error"]
    r = client.post(f"/api/v1/sessions/{sid}/hints", json={"task": "greeting-present"}, headers={"X-CSRFToken": csrf})
    assert r.status_code == 409
    with session_scope(app) as s:  # the final grade (the hiring team's) is not the candidate's to read
        final = Grade(session_id=sid, final=True, report={"score": 3}, done_at=utcnow())
        s.add(final)
        s.commit()
        final_id = final.id
    assert client.get(f"/api/v1/sessions/{sid}/grades/{final_id}").status_code == 404
    assert client.get(f"/api/v1/sessions/{sid}").json["score"] == 0
    assert client.get("/api/v1/assessments").status_code == 302  # fenced from the reviewers' API too


# -- invites ------------------------------------------------------------------------------------

def test_invite_tokens_are_unguessable_stored_hashed_and_single_use(app, client, world):
    token = world["token"]
    assert len(token) >= 43
    with session_scope(app) as s:
        inv = s.get(Invite, world["invite"])
        assert inv.token_hash == invites.digest(token) and token not in inv.token_hash
    assert start_invite(client, token).status_code == 302
    assert client.get(f"/invite/{token}").headers["Location"].endswith("/attempt")  # same browser: not counted
    # reopened elsewhere while the attempt runs: resumed (a crashed browser), and counted
    assert start_invite(client, token).status_code == 302
    with session_scope(app) as s:
        inv = s.get(Invite, world["invite"])
        assert inv.reopened == 1 and s.query(User).filter_by(role=Role.invitee).count() == 1
        inv.finished_at = utcnow()
        s.commit()
    r = client.get(f"/invite/{token}")
    assert r.status_code == 410 and "This link was already used" in r.get_data(as_text=True)
    assert client.post(f"/invite/{token}/start", data={}).status_code in (400, 410)
    assert client.get("/invite/" + "x" * 43).status_code == 404


def test_expired_and_revoked_links_say_so(app, client, world):
    with session_scope(app) as s:
        a = s.get(Assessment, world["assessment"])
        old, old_token = invites.create_invite(s, a, "Late Larry")
        old.expires_at = utcnow() - timedelta(minutes=1)
        s.commit()
    r = client.get(f"/invite/{old_token}")
    assert r.status_code == 410 and "This invitation expired on" in r.get_data(as_text=True)
    csrf = log_in(client, "rev@acme.test")
    assert client.post(f"/invites/{world['invite']}/revoke", data={"csrf_token": csrf}).status_code == 302
    with client.session_transaction() as sess:
        sess.clear()
    r = client.get(f"/invite/{world['token']}")
    assert r.status_code == 410 and "withdrawn by the hiring team" in r.get_data(as_text=True)


def test_invite_labels_and_extra_time_are_checked(app, world):
    from webapp.services import SessionError

    with session_scope(app) as s:
        a = s.get(Assessment, world["assessment"])
        with pytest.raises(SessionError, match="label"):
            invites.create_invite(s, a, "  ")
        with pytest.raises(SessionError, match="extra_minutes"):
            invites.create_invite(s, a, "x", 10_000)


# -- the clock ----------------------------------------------------------------------------------

def attempt(limit=600, extra=0, started=None):
    return Invite(assessment=Assessment(time_limit=limit, labs=[], mode=Mode.exam), extra_time=extra,
                  started_at=started, reopened=0)


def lab(created, ready=None, ended=None, state=State.ready, reason=None):
    return LabSession(id="x", lab_id="greeting-file", created_at=created, ready_at=ready, ended_at=ended,
                      state=state, failure_reason=reason)


def test_the_clock_starts_when_the_first_sandbox_is_ready():
    t0 = utcnow()
    c = assessments.clock(attempt(extra=60), [lab(t0)], t0 + timedelta(minutes=5))
    assert (c.limit, c.used, c.left, c.deadline) == (660, 0, 660, None)
    inv = attempt(extra=60, started=t0 + timedelta(seconds=30))
    c = assessments.clock(inv, [lab(t0, t0 + timedelta(seconds=30))], t0 + timedelta(seconds=130))
    assert (c.used, c.credited, c.left) == (100, 0, 560)
    assert c.deadline == t0 + timedelta(seconds=30 + 660)


def test_waiting_for_a_later_lab_and_platform_failures_are_credited():
    t0 = utcnow()
    s = lambda sec: t0 + timedelta(seconds=sec)  # noqa: E731
    sessions = [lab(s(-10), s(0), s(100), State.destroyed),                     # lab 1: 100 s
                lab(s(100), s(130), s(160), State.failed, "the sandbox is gone"),  # 30 s wait + 30 s lost
                lab(s(170), s(190))]                                             # 20 s wait
    c = assessments.clock(attempt(started=s(0)), sessions, s(250))
    assert c.credited == 30 + 30 + 20 and c.used == 250 - 80 and c.deadline == s(600 + 80)
    full = lab(s(100), s(130), s(160), State.failed, "the sandbox filled its disk and was stopped")
    assert assessments.clock(attempt(started=s(0)), [sessions[0], full], s(250)).credited == 30  # not the platform's fault


def test_a_ready_lab_gets_the_attempts_deadline_and_time_up_finishes_the_attempt(app, world):
    with session_scope(app) as s:
        inv = s.get(Invite, world["invite"])
        guest = invites.start(s, inv, app.config)
        ls = assessments.advance(s, inv, app.config)
        assert ls.user_id == guest.id and ls.invite_id == inv.id
        assert assessments.advance(s, inv, app.config).id == ls.id  # one active lab per invite
        ls.created_at = utcnow() - timedelta(minutes=21)
        ls.state, ls.ready_at = State.ready, utcnow() - timedelta(minutes=20)
        assessments.on_ready(s, ls)
        s.commit()
        assert inv.started_at == ls.ready_at
        assert ls.deadline == ls.ready_at + timedelta(seconds=600 + 300)  # 10 min + 5 extra
        ls.state, ls.ended_at = State.expired, ls.deadline
        s.commit()
        assert assessments.due(s) == [inv.id]
        assert inv.finished_at == ls.deadline and assessments.advance(s, inv, app.config) is None


# -- templates, building, reports ------------------------------------------------------------------

def test_role_templates_pick_labs_by_skill_and_the_reviewer_edits_before_saving(app, client, world):
    draft = assessments.template_draft("lead-infrastructure-engineer")
    assert draft["title"] == "Lead Infrastructure Engineer" and draft["labs"] == [{"lab": "greeting-file", "weight": 1}]
    assert draft["time_limit"] == 300
    csrf = log_in(client, "rev@acme.test")
    page = client.get("/assessments/new?role=devops-team-lead").get_data(as_text=True)
    assert 'value="DevOps Team Lead"' in page and 'value="greeting-file" id="lab-greeting-file" checked' in page
    r = client.post("/assessments/new", data={"csrf_token": csrf, "title": "DevOps lead, Q1", "role": "devops-team-lead",
                                              "lab": "greeting-file", "weight-greeting-file": "3", "time_limit": "45m",
                                              "mode": "practice", "invite_days": "3"})
    assert r.status_code == 302
    with session_scope(app) as s:
        a = s.query(Assessment).filter_by(title="DevOps lead, Q1").one()
        assert (a.labs, a.time_limit, a.mode, a.team_id) == ([{"lab": "greeting-file", "weight": 3}], 2700,
                                                             Mode.practice, world["team_a"])
    bad = client.post("/assessments/new", data={"csrf_token": csrf, "title": "x", "lab": "greeting-file",
                                                "time_limit": "soon", "mode": "exam", "invite_days": "3"})
    assert bad.status_code == 400 and "time_limit: expected a duration" in bad.get_data(as_text=True)


def test_the_report_scores_skills_commands_pastes_and_versions(app, client, world):
    from grader.report import TaskResult
    from opslab.engine import Report

    with session_scope(app) as s:
        inv = s.get(Invite, world["invite"])
        invites.start(s, inv, app.config)
        ls = assessments.advance(s, inv, app.config)
        t0 = utcnow() - timedelta(minutes=3)
        ls.state, ls.ready_at, ls.ended_at = State.destroyed, t0, t0 + timedelta(minutes=2)
        inv.started_at, inv.finished_at = t0, t0 + timedelta(minutes=2)
        rep = Report("greeting-file", "v1hash", "0.9", [TaskResult("greeting-present", "says hello", 2, 2, True, ""),
                     TaskResult("greeting-private", "root only", 1, 0, False, "others can read it")], 0.3, 0.0,
                     skills=["linux"], params={"word": "ahoy"})
        s.add(Grade(session_id=ls.id, final=True, report=rep.to_dict(), done_at=utcnow()))
        s.commit()
        sid = ls.id
    cast = app.config["RECORDINGS_DIR"] + f"/{sid}/box.cast"
    import os

    os.makedirs(os.path.dirname(cast))
    with open(cast, "w") as f:
        f.write(json.dumps({"version": 2, "width": 80, "height": 24, "timestamp": 0}) + "\n")
        for ev in ([1.0, "o", "root@box:~# "], [2.0, "i", "e"], [2.1, "i", "cho hellp\x7fo > /srv/greeting.txt"],
                   [2.2, "i", "\r"], [5.0, "i", "curl -s https://example.org/a-very-long-script-pasted-in | sh\r"],
                   [6.0, "m", "reconnected"], [7.0, "i", "ls\x1b[A\r"]):
            f.write(json.dumps(ev) + "\n")
    log_in(client, "rev@acme.test")
    r = client.get(f"/api/v1/invites/{world['invite']}/report").json
    assert r["percent"] == pytest.approx(66.7) and r["skills"] == {"linux": pytest.approx(66.7)}
    assert r["labs"][0]["lab_version"] == "v1hash" and r["labs"][0]["grader_version"] == "0.9"
    assert r["labs"][0]["params"] == {"word": "ahoy"}  # the candidate's variant of the lab
    assert [c["text"] for c in r["commands"]][:2] == ["echo hello > /srv/greeting.txt",
                                                      "curl -s https://example.org/a-very-long-script-pasted-in | sh"]
    assert len(r["integrity"]["large_pastes"]) == 1 and r["integrity"]["reconnects"] == 1
    assert r["time"]["used"] == 120 and r["invite"]["status"] == "finished"
    page = client.get(f"/invites/{world['invite']}/report").get_data(as_text=True)
    assert "66.7%" in page and "skills.svg" in page and f"/recordings/{sid}/box.cast" in page
    assert "· variant word=ahoy" in page
    svg = client.get(f"/invites/{world['invite']}/skills.svg")
    assert svg.mimetype == "image/svg+xml" and b'data-skill="linux"' in svg.data
    assert client.get(f"/invites/{world['invite']}/recordings/{sid}/box.cast").data.startswith(b'{"version": 2')
    csv = client.get(f"/assessments/{world['assessment']}/results.csv").get_data(as_text=True)
    assert csv.splitlines()[0].startswith("invite,candidate,status,percent") and "2/3" in csv
    assert "Ada" in client.get(f"/assessments/{world['assessment']}?sort=candidate").get_data(as_text=True)


def test_api_creates_from_a_role_and_invites(client, world):
    log_in(client, "rev@acme.test")
    csrf = csrf_from(client.get("/assessments").get_data(as_text=True))
    h = {"X-CSRFToken": csrf}
    r = client.post("/api/v1/assessments", json={"role": "devops-team-lead", "mode": "practice"}, headers=h)
    assert r.status_code == 201 and r.json["labs"] == [{"lab": "greeting-file", "weight": 1}] and r.json["team"] == "Acme"
    inv = client.post(f"/api/v1/assessments/{r.json['id']}/invites", json={"label": "Bo"}, headers=h)
    assert inv.status_code == 201 and "/invite/" in inv.json["link"] and inv.json["status"] == "open"
    bad = client.post("/api/v1/assessments", json={"title": "x", "labs": [{"lab": "nope"}], "time_limit": "1h"}, headers=h)
    assert bad.status_code == 404 and "nope" in bad.json["error"]
    revoked = client.post(f"/api/v1/invites/{inv.json['id']}/revoke", headers=h)
    assert revoked.json["status"] == "revoked"


def test_cli_teams_reviewers_assessments_invites_and_reports(app, monkeypatch, tmp_path):
    from click.testing import CliRunner

    from opslab.cli import main

    monkeypatch.setenv("OPSLAB_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("OPSLAB_VAR", str(tmp_path))
    run = lambda *args: CliRunner().invoke(main, list(args))  # noqa: E731
    assert run("team", "create", "Hiring Crew").exit_code == 0
    r = run("user", "create", "lee@x.test", "--role", "reviewer", "--team", "Hiring Crew", "--password", PW)
    assert r.exit_code == 0 and "in team Hiring Crew" in r.output
    assert "no team 'Nope'" in run("user", "create", "x@x.test", "--role", "reviewer", "--team", "Nope",
                                   "--password", PW).output
    r = run("assessment", "create", "--team", "Hiring Crew", "--role-template", "lead-infrastructure-engineer",
            "--time", "20m")
    assert r.exit_code == 0, r.output
    aid = r.stdout.strip()
    assert "Lead Infrastructure Engineer" in run("assessment", "list").output
    link = run("assessment", "invite", aid, "Cy", "--base-url", "https://opslab.example").stdout.strip()
    assert link.startswith("https://opslab.example/invite/") and len(link.rsplit("/", 1)[1]) >= 43
    assert "Cy" in run("assessment", "report", aid).output
    assert json.loads(run("assessment", "report", aid, "--format", "json").stdout)["candidates"][0]["status"] == "open"
    assert "lee@x.test" in run("team", "list").output
    hook = run("team", "webhook", "Hiring Crew", "https://hooks.example/opslab")
    assert hook.exit_code == 0 and len(hook.stdout.strip()) == 64 and "shown once" in hook.output
    assert run("team", "webhook", "Hiring Crew", "ftp://x").exit_code == 1
    assert run("team", "webhook", "Hiring Crew", "--off").exit_code == 0


def test_a_platform_failure_is_credited_flagged_and_the_lab_can_be_started_again(app, client, world):
    r = start_invite(client, world["token"])
    sid = r.headers["Location"].rsplit("/", 1)[1]
    t0 = utcnow() - timedelta(minutes=4)
    with session_scope(app) as s:
        ls, inv = s.get(LabSession, sid), s.get(Invite, world["invite"])
        ls.created_at, ls.ready_at, inv.started_at = t0 - timedelta(seconds=5), t0, t0
        ls.state, ls.ended_at, ls.failure_reason = State.failed, t0 + timedelta(minutes=3), "the sandbox is gone"
        s.commit()
    page = client.get("/attempt").get_data(as_text=True)
    assert "The sandbox of lab 1 failed: the sandbox is gone" in page and "given back" in page
    csrf = csrf_from(page)
    again = client.post("/attempt/next", data={"csrf_token": csrf})
    assert again.status_code == 302 and again.headers["Location"] != r.headers["Location"]
    log_in(client, "rev@acme.test")
    report = client.get(f"/api/v1/invites/{world['invite']}/report").json
    assert report["time"]["credited"] >= 180 and report["time"]["used"] < 90
    assert report["flags"] == ["greeting-file: the sandbox is gone (the time lost was credited)"]


def test_revoking_a_running_attempt_ends_it_and_fences_the_guest(app, client, world):
    r = start_invite(client, world["token"])
    sid = r.headers["Location"].rsplit("/", 1)[1]
    with session_scope(app) as s:
        s.get(LabSession, sid).state = State.ready
        s.commit()
        assert invites.revoke(s, s.get(Invite, world["invite"]))
        assert s.get(LabSession, sid).state == State.submitted  # stopped, and its final grade queued
    page = client.get(f"/sessions/{sid}", follow_redirects=True)
    assert page.status_code == 410 and "withdrawn by the hiring team" in page.get_data(as_text=True)


def test_admins_manage_teams_on_a_page_and_nobody_else_can(app, client, world):
    csrf = log_in(client, "rev@acme.test")
    assert client.get("/teams").status_code == 403
    csrf = log_in(client, "admin@x.test")
    page = client.get("/teams").get_data(as_text=True)
    assert "Acme" in page and "rev@acme.test" in page
    client.post("/teams", data={"csrf_token": csrf, "action": "create", "name": "Search"})
    with session_scope(app) as s:
        team = s.query(Team).filter_by(name="Search").one()
    r = client.post("/teams", data={"csrf_token": csrf, "action": "add", "email": "new@x.test", "team": team.id},
                    follow_redirects=True)
    assert "new@x.test is a reviewer in Search. Their password (shown once):" in r.get_data(as_text=True)
    r = client.post("/teams", data={"csrf_token": csrf, "action": "add", "email": "inst@x.test", "team": team.id},
                    follow_redirects=True)
    assert "inst@x.test is instructor" in r.get_data(as_text=True)
    with session_scope(app) as s:
        new = s.query(User).filter_by(email="new@x.test").one()
        assert (new.role, new.team_id) == (Role.reviewer, team.id)
    r = client.post("/teams", data={"csrf_token": csrf, "action": "webhook", "team": team.id,
                                    "url": "https://hooks.example/x"}, follow_redirects=True)
    assert "its signing secret (shown once):" in r.get_data(as_text=True)
    client.post("/teams", data={"csrf_token": csrf, "action": "remove", "user": new.id})
    with session_scope(app) as s:
        assert s.get(User, new.id).team_id is None


def test_a_graded_attempt_is_posted_to_the_teams_webhook_signed_once(app, world, tmp_path):
    import hashlib
    import hmac
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer
    from pathlib import Path

    from webapp import webhooks

    got, answer = [], [200]

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            got.append((dict(self.headers), self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(answer[0])
            self.end_headers()

        def log_message(self, *_args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with session_scope(app) as s:
            inv = s.get(Invite, world["invite"])
            invites.start(s, inv, app.config)
            ls = assessments.advance(s, inv, app.config)
            secret = webhooks.set_webhook(s, inv.assessment.team, f"http://127.0.0.1:{server.server_port}/hook")
            assert webhooks.due(s) == []  # still running
            ls.state, ls.ready_at, ls.ended_at = State.destroyed, utcnow(), utcnow()
            inv.started_at = inv.finished_at = utcnow()
            s.commit()
            assert webhooks.due(s) == [inv.id] and webhooks.claim(s, inv.id) and not webhooks.claim(s, inv.id)
            assert webhooks.due(s) == []  # claimed: the sweep does not queue it twice
            answer[0] = 500
            with pytest.raises(OSError):
                webhooks.deliver(s, inv.id, Path(tmp_path))
            answer[0] = 204
            webhooks.deliver(s, inv.id, Path(tmp_path))
            assert inv.notified_at is not None
            webhooks.deliver(s, inv.id, Path(tmp_path))  # delivered: never again
    finally:
        server.shutdown()
    assert len(got) == 2
    headers, body = got[-1]
    t, mac = (part.split("=", 1)[1] for part in headers["X-Opslab-Signature"].split(","))
    assert hmac.compare_digest(mac, hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest())
    event = json.loads(body)
    assert event["event"] == "attempt.graded" and event["candidate"].startswith("Ada") and event["percent"] == 0.0
    assert event["status"] == "finished" and event["report"] == f"/api/v1/invites/{world['invite']}/report"


def test_reviewers_watch_a_running_attempt_read_only(app, client, world):
    r = start_invite(client, world["token"])
    sid = r.headers["Location"].rsplit("/", 1)[1]
    with session_scope(app) as s:
        s.get(LabSession, sid).state = State.ready
        s.commit()
    cast = app.config["RECORDINGS_DIR"] + f"/{sid}/box.cast"
    import os

    os.makedirs(os.path.dirname(cast))
    with open(cast, "w") as f:
        f.write('{"version": 2, "width": 100, "height": 30, "timestamp": 0}\n[0.5, "o", "root@box:~# "]\n'
                '[1.0, "i", "ls\\r"]\n[1.1, "o", "ls\\r\\n"]\n[1.2, "o", "torn')
    log_in(client, "rev@other.test")
    assert client.get(f"/invites/{world['invite']}/live").status_code == 404
    assert client.get(f"/invites/{world['invite']}/recordings/{sid}/box.json").status_code == 404
    log_in(client, "rev@acme.test")
    page = client.get(f"/invites/{world['invite']}/live").get_data(as_text=True)
    assert f"/recordings/{sid}/__HOST__.json" in page and 'data-host="box"' in page
    first = client.get(f"/invites/{world['invite']}/recordings/{sid}/box.json").json
    assert first["header"] == {"width": 100, "height": 30} and first["output"] == ["root@box:~# ", "ls\r\n"]
    assert first["live"] and first["next"] < os.path.getsize(cast)  # the torn last line waits
    rest = client.get(f"/invites/{world['invite']}/recordings/{sid}/box.json?from={first['next']}").json
    assert rest["output"] == [] and rest["next"] == first["next"] and rest["header"] is None


def test_a_lab_whose_sandbox_keeps_failing_is_skipped_and_the_attempt_ends(app, world, tmp_path):
    from webapp import reports

    with session_scope(app) as s:
        inv = s.get(Invite, world["invite"])
        invites.start(s, inv, app.config)
        for _ in range(assessments.MAX_TRIES):
            ls = assessments.advance(s, inv, app.config)
            ls.state, ls.failure_reason, ls.ended_at = State.failed, "the sandbox engine is not reachable", utcnow()
            s.commit()
        assert assessments.advance(s, inv, app.config) is None and inv.finished_at is not None
        report = reports.build(s, inv, tmp_path)
        assert report["labs"][0]["state"] == "the sandbox failed" and report["percent"] == 0.0


def test_commands_csv_and_chart_are_safe_with_what_candidates_type():
    from webapp import reports
    from webapp.reviewers import to_csv

    events = [[0.1, "i", "rm -rf /tmp/x\x03"], [0.2, "i", "ls -l\x1b[Ah\r"], [0.3, "i", "\x15whoami\r"],
              [0.4, "o", "ignored\r\n"], [0.5, "i", "half-typed"]]
    assert [c["text"] for c in reports.commands(events)] == ["ls -lh", "whoami", "half-typed  (not entered)"]
    csv = to_csv([{"candidate": "=HYPERLINK(\"http://x\")", "percent": 50.0}])
    assert "'=HYPERLINK" in csv  # a spreadsheet shows it as text, never runs it
    svg = reports.skill_chart({"linux": 50.0, "<script>": 10.0})
    assert "<script>" not in svg and "&lt;script&gt;" in svg and svg.startswith("<svg")
