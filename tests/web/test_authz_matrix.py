"""Authorization over every route × every role, generated from the app's URL map.

Every endpoint must have a policy below: a new route without one fails this test, so nobody
adds a page or an API call without deciding who may use it. Policies:
- public: anyone, logged in or not;
- user: any logged-in account (anonymous: sent to log in, or 401 on the API);
- owner: the session's (or saved work's) owner and admins; anyone else gets 404 (never 403:
  someone else's session is not confirmed to exist); anonymous: sent to log in, or 401;
- logout: anyone may post it; it lands on the log-in page and the session is over;
- invite-link: anyone holding a link (an unknown or spent one is refused in words, never 5xx);
- attempt: the invitee's own attempt: anonymous is sent away, other accounts never see one;
- hiring: reviewers of the assessment's team and admins; candidates and instructors are
  refused (403/404), a teamless reviewer sees nothing; tests/web/test_assessments.py holds the
  full matrix with a team, an invitee and a reviewer of another team;
- admin: admins only (403 for everyone else, log-in for anonymous);
- websocket: the terminal, upgraded only after its own checks (tests/integration/test_platform.py
  and tests/web/test_terminal_origin.py cover it: foreign Origin, other users, states).
"""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import csrf_from
from tests.web.test_views import add_session
from webapp.db import session_scope
from webapp.models import Grade, Role, SavedWork

POLICY = {
    "static": "public",
    "auth.login": "public",
    "api.openapi": "public",
    "auth.logout": "logout",
    "auth.change_password": "user",
    "catalogue.index": "user",
    "sessions.mine": "user",
    "sessions.start": "user",
    "api.labs": "user",
    "api.start": "user",
    "sessions.page": "owner",
    "sessions.resume": "owner",
    "sessions.delete_saved": "owner",
    "api.saved_list": "user",
    "api.saved_resume": "owner",
    "api.saved_delete": "owner",
    "api.get": "owner",
    "api.check": "owner",
    "api.grade_result": "owner",
    "api.hint": "owner",
    "api.stop": "owner",
    "__flask_sock.terminal": "websocket",
    "invites.rules": "invite-link",
    "invites.begin": "invite-link",
    "invites.attempt": "attempt",
    "invites.advance": "attempt",
    **{e: "hiring" for e in (
        "reviewers.index", "reviewers.new", "reviewers.detail", "reviewers.edit", "reviewers.archive",
        "reviewers.invite", "reviewers.export",
        "reviewers.live", "reviewers.recording", "reviewers.recording_tail", "reviewers.report", "reviewers.revoke",
        "reviewers.chart", "reviewers_api.assessment_list", "reviewers_api.assessment_get",
        "reviewers_api.invite_create", "reviewers_api.assessment_results", "reviewers_api.invite_report",
        "reviewers_api.invite_revoke", "reviewers_api.role_templates", "reviewers_api.assessment_archive",
        "reviewers_api.assessment_restore")},
    "teams.admin": "admin",
    "metrics.metrics": "admin",
}
ROLES = ["anonymous", "owner", "other-candidate", "reviewer", "instructor", "admin"]
BODIES = {"api.start": {"lab": "greeting-file"}, "api.hint": {"task": "greeting-present"}}


def test_every_route_has_a_policy(app):
    endpoints = {r.endpoint for r in app.url_map.iter_rules()}
    missing = sorted(endpoints - set(POLICY))
    assert not missing, f"routes without an authorization policy in this test: {missing}"
    assert not set(POLICY) - endpoints, "policies for routes that no longer exist"


def _cases(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if POLICY.get(rule.endpoint) == "websocket":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


@pytest.fixture
def world(app, make_user):
    """An owner with a ready session and a finished grade, and one account per other role."""
    users = {"owner": make_user("owner@example.org", "keeper-pass-93", Role.candidate)}
    for name, role in (("other-candidate", Role.candidate), ("reviewer", Role.reviewer),
                       ("instructor", Role.instructor), ("admin", Role.admin)):
        users[name] = make_user(f"{name}@example.org", f"pass-{len(name)}-zq93x", role)
    sid = add_session(app, users["owner"].id)
    with session_scope(app) as s:
        g = Grade(session_id=sid, error="test grade")
        s.add(g)
        s.commit()
        gid = g.id
    return {"users": users, "session": sid, "grade": gid, "saved": SAVED_ID}


SAVED_ID = 7


def _ensure_saved(app, world) -> None:
    """The owner's saved work (with no files: Resume answers 409), made again after a Delete."""
    with session_scope(app) as s:
        if s.get(SavedWork, SAVED_ID) is None:
            s.add(SavedWork(id=SAVED_ID, user_id=world["users"]["owner"].id, lab_id="greeting-file", lab_version="x",
                            session_id=world["session"], params_seed=world["session"], hosts=[], size_bytes=0))
            s.commit()


def _client(app, role, world):
    """A fresh client per case, logged in as `role`: the log-in (scrypt, ~60 ms) happens once
    per role and each case starts from a copy of its session cookie, so what one case does to
    its session (log out, flash) never reaches the next; a cookie a case before ended (log out
    ends every session of the account) is replaced by a new log-in."""
    client = app.test_client()
    if role == "anonymous":
        return client, csrf_from(client.get("/login").get_data(as_text=True))
    logged_in = world.setdefault("logged_in", {})
    if role in logged_in:
        key, value, csrf = logged_in[role]
        client.set_cookie(key, value)
        if client.get("/account/password").status_code == 200:
            return client, csrf
        client = app.test_client()
    email = world["users"][role].email
    password = "keeper-pass-93" if role == "owner" else f"pass-{len(role)}-zq93x"
    page = client.get("/login").get_data(as_text=True)
    r = client.post("/login", data={"csrf_token": csrf_from(page), "email": email, "password": password})
    assert r.status_code == 302, (role, r.status_code)
    csrf = csrf_from(client.get("/account/password").get_data(as_text=True))  # its secret joins the session
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    logged_in[role] = (cookie.key, cookie.value, csrf)
    fresh = app.test_client()
    fresh.set_cookie(cookie.key, cookie.value)
    return fresh, csrf


def _url(rule, world) -> str:
    values = {"session_id": world["session"], "grade_id": world["grade"], "lab_id": "greeting-file",
              "filename": "app.css", "assessment_id": 1, "invite_id": 1, "token": "x" * 43, "host": "box",
              "fmt": "csv", "saved_id": world["saved"]}
    return rule.build(values, append_unknown=False)[1]


def test_every_route_answers_each_role_as_its_policy_says(app, world):
    problems = []
    for rule, method in _cases(app):
        policy = POLICY[rule.endpoint]
        for role in ROLES:
            client, csrf = _client(app, role, world)
            url = _url(rule, world)
            if "saved_id" in rule.arguments:
                _ensure_saved(app, world)
            if method == "GET":
                r = client.get(url)
            elif url.startswith("/api/"):
                r = client.open(url, method=method, json=BODIES.get(rule.endpoint, {}), headers={"X-CSRFToken": csrf})
            else:
                r = client.open(url, method=method, data={"csrf_token": csrf})
            to_login = r.status_code == 302 and re.search(r"/login", r.headers.get("Location", ""))
            denied = r.status_code in (401, 403) or to_login
            if r.status_code >= 500:
                problems.append(f"{method} {rule.rule} as {role}: {r.status_code}")
            elif policy == "invite-link":
                if to_login or r.status_code == 401:
                    problems.append(f"{method} {rule.rule} as {role}: a link needs no account, got {r.status_code}")
            elif policy == "attempt":  # nobody here holds an invite
                if r.status_code not in (302, 401, 403, 404):
                    problems.append(f"{method} {rule.rule} as {role}: only an invitee has an attempt, got {r.status_code}")
            elif policy in ("hiring", "admin") and role == "anonymous":
                if not denied:
                    problems.append(f"{method} {rule.rule} as anonymous: expected log-in or 401, got {r.status_code}")
            elif policy == "hiring":
                if role in ("owner", "other-candidate", "instructor") and r.status_code not in (403, 404):
                    problems.append(f"{method} {rule.rule} as {role}: hiring teams only, got {r.status_code}")
            elif policy == "admin":
                if (role == "admin") == (r.status_code in (401, 403, 404) or to_login):
                    problems.append(f"{method} {rule.rule} as {role}: admins only, got {r.status_code}")
            elif policy == "logout":
                after = client.get("/")
                if not to_login or after.status_code != 302:
                    problems.append(f"{method} {rule.rule} as {role}: expected the log-in page and no session after")
            elif policy == "public":
                if denied:
                    problems.append(f"{method} {rule.rule} as {role}: public, got {r.status_code}")
            elif role == "anonymous":
                if not denied:
                    problems.append(f"{method} {rule.rule} as anonymous: expected log-in or 401, got {r.status_code}")
            elif policy == "user" or role in ("owner", "admin"):
                if denied or r.status_code == 404:
                    problems.append(f"{method} {rule.rule} as {role}: expected access, got {r.status_code}")
            elif r.status_code != 404:  # owner policy, someone else
                problems.append(f"{method} {rule.rule} as {role}: someone else's session must be 404, "
                                f"got {r.status_code}")
    assert not problems, "\n".join(problems)
