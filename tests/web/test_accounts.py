"""Sessions end for real (log-out, password change, CLI reset) and the password-change page."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tests.web.conftest import csrf_from
from webapp.db import session_scope
from webapp.models import User

PAGE = "/account/password"


def thief(app, client):
    """A second browser holding a copy of `client`'s session cookie."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def change(client, csrf, current="password-123", new="correct horse battery", confirm=None):
    return client.post(PAGE, data={"csrf_token": csrf, "current": current, "new": new,
                                   "confirm": new if confirm is None else confirm})


def test_the_password_page_is_for_logged_in_users_and_linked_from_the_nav(client, login):
    r = client.get(PAGE)
    assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=/account/password")
    assert client.post(PAGE, data={}).status_code in (302, 400)  # anonymous: never changes anything
    login()
    page = client.get(PAGE)
    assert page.status_code == 200 and b'name="current"' in page.data and b'autocomplete="new-password"' in page.data
    assert b'href="/account/password">Password</a>' in client.get("/").data


def test_the_password_page_needs_its_csrf_token(client, login):
    login()
    r = client.post(PAGE, data={"current": "password-123", "new": "correct horse battery",
                                "confirm": "correct horse battery"})
    assert r.status_code == 400 and b"CSRF" in r.data


def test_a_wrong_current_password_changes_nothing_and_counts_as_a_failed_login(app, client, login):
    user, csrf = login()
    for _ in range(5):
        r = change(client, csrf, current="not-my-password")
        assert r.status_code == 200 and b"That is not your current password." in r.data
    r = change(client, csrf)  # right this time, but the address is over the limit for this account
    assert r.status_code == 429 and "Retry-After" in r.headers
    with session_scope(app) as s:
        assert s.get(User, user.id).password_hash == user.password_hash


@pytest.mark.parametrize(("new", "confirm", "message"), [
    ("short-1", None, b"at least 10 characters"),
    ("aaaaaaaaaaaa", None, b"repeats one or two characters"),
    ("cand@example.org!!", None, b"must not contain the account&#39;s email address"),
    ("my-cand-password", None, b"must not contain the account&#39;s email address"),
    ("qwertyuiop", None, b"most common passwords"),
    ("correct horse battery", "correct horse battery!", b"The two new passwords differ."),
])
def test_the_new_password_follows_the_policy(client, login, new, confirm, message):
    _, csrf = login()
    r = change(client, csrf, new=new, confirm=confirm)
    assert r.status_code == 200 and message in r.data


def test_a_stolen_cookie_is_refused_after_logout(app, client, login):
    user, csrf = login()
    copy = thief(app, client)
    assert copy.get("/").status_code == 200  # the copy works while the session lives
    client.post("/logout", data={"csrf_token": csrf})
    r = copy.get("/")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    assert copy.get("/api/v1/labs").status_code == 401
    login_again = client.get("/login").get_data(as_text=True)  # and logging in again works
    ok = client.post("/login", data={"csrf_token": csrf_from(login_again), "email": user.email,
                                     "password": "password-123"})
    assert ok.status_code == 302 and client.get("/").status_code == 200
    assert copy.get("/").status_code == 302


def test_a_password_change_ends_every_other_session_and_the_api_token(app, client, login):
    from webapp.auth import issue_api_token

    user, csrf = login()
    copy = thief(app, client)
    elsewhere = app.test_client()  # the same user logged in on another machine
    page = elsewhere.get("/login").get_data(as_text=True)
    elsewhere.post("/login", data={"csrf_token": csrf_from(page), "email": user.email, "password": "password-123"})
    with session_scope(app) as s:
        token = issue_api_token(s, s.get(User, user.id))
    bearer = {"Authorization": f"Bearer {token}"}
    assert elsewhere.get("/").status_code == 200 and client.get("/api/v1/labs", headers=bearer).status_code == 200
    r = change(client, csrf)
    assert r.status_code == 302 and r.headers["Location"] == "/"
    assert client.get("/").status_code == 200  # this session goes on
    assert copy.get("/").status_code == 302 and elsewhere.get("/").status_code == 302
    assert app.test_client().get("/api/v1/labs", headers=bearer).status_code == 401
    fresh = app.test_client()
    page = fresh.get("/login").get_data(as_text=True)
    old = fresh.post("/login", data={"csrf_token": csrf_from(page), "email": user.email, "password": "password-123"})
    assert old.status_code == 200 and b"Wrong email or password." in old.data
    new = fresh.post("/login", data={"csrf_token": csrf_from(page), "email": user.email,
                                     "password": "correct horse battery"})
    assert new.status_code == 302


def test_a_password_reset_from_the_cli_ends_the_sessions_too(app, client, login, monkeypatch, tmp_path):
    from opslab.cli import main

    monkeypatch.setenv("OPSLAB_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("OPSLAB_VAR", str(tmp_path / "var"))
    login()
    r = CliRunner().invoke(main, ["user", "password", "cand@example.org", "--password", "another-password-1"])
    assert r.exit_code == 0, r.output
    assert client.get("/").status_code == 302


BAD_EMAILS = ["ann", "ann@", "@example.org", "ann smith@example.org", "ann@exa mple.org", "ann@@example.org",
              "a\x00b@example.org", "x" * 250 + "@example.org"]


@pytest.mark.parametrize("email", BAD_EMAILS)
def test_the_cli_refuses_the_emails_the_login_form_refuses(app, client, monkeypatch, tmp_path, email):
    from opslab.cli import main

    page = client.get("/login").get_data(as_text=True)
    r = client.post("/login", data={"csrf_token": csrf_from(page), "email": email, "password": "password-123"})
    assert b"Enter an email address." in r.data
    monkeypatch.setenv("OPSLAB_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("OPSLAB_VAR", str(tmp_path / "var"))
    out = CliRunner().invoke(main, ["user", "create", email, "--password", "correct horse battery"])
    assert out.exit_code == 1 and "is not an email address" in out.output


def test_the_cli_refuses_weak_passwords(app, monkeypatch, tmp_path):
    from opslab.cli import main

    monkeypatch.setenv("OPSLAB_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("OPSLAB_VAR", str(tmp_path / "var"))
    for password, why in [("aaaaaaaaaaaa", "repeats"), ("dee@example.org-1", "email"), ("1234567890", "common")]:
        out = CliRunner().invoke(main, ["user", "create", "dee@example.org", "--password", password])
        assert out.exit_code == 1 and why in out.output, out.output
