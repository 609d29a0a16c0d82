"""Failed log-ins are throttled per (address, email) and per address, over a sliding window."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from tests.web.conftest import csrf_from
from webapp.db import session_scope
from webapp.models import LoginFailure, utcnow

GOOD = "password-123"


def attempt(client, email, password, ip="203.0.113.7"):
    env = {"REMOTE_ADDR": ip}
    page = client.get("/login", environ_base=env).get_data(as_text=True)
    return client.post("/login", data={"csrf_token": csrf_from(page), "email": email, "password": password},
                       environ_base=env)


def test_five_failures_lock_that_email_from_that_address_only(client, make_user):
    make_user("cand@example.org", GOOD)
    for _ in range(5):
        r = attempt(client, "cand@example.org", "wrong-password")
        assert r.status_code == 200 and "Wrong email or password." in r.get_data(as_text=True)
    r = attempt(client, "cand@example.org", GOOD)  # even the right password waits
    assert r.status_code == 429
    assert "Too many failed log-ins. Try again in 15 minutes." in r.get_data(as_text=True)
    assert 14 * 60 < int(r.headers["Retry-After"]) <= 15 * 60
    assert attempt(client, "cand@example.org", GOOD, ip="198.51.100.9").status_code == 302
    make_user("other@example.org", GOOD)
    assert attempt(client, "other@example.org", GOOD).status_code == 302


def test_throttled_attempts_do_not_hash_the_password(client, make_user, monkeypatch):
    import webapp.auth

    make_user("cand@example.org", GOOD)
    for _ in range(5):
        attempt(client, "cand@example.org", "wrong-password")
    hashed = []
    real = webapp.auth.check_password_hash
    monkeypatch.setattr(webapp.auth, "check_password_hash", lambda *a: hashed.append(1) or real(*a))
    for _ in range(3):
        assert attempt(client, "cand@example.org", "wrong-password").status_code == 429
    assert hashed == []


def test_a_successful_login_clears_the_count(client, make_user):
    make_user("cand@example.org", GOOD)
    for _ in range(4):
        attempt(client, "cand@example.org", "wrong-password")
    assert attempt(client, "cand@example.org", GOOD).status_code == 302
    for _ in range(4):
        assert attempt(client, "cand@example.org", "wrong-password").status_code == 200
    assert attempt(client, "cand@example.org", GOOD).status_code == 302


def test_one_address_spraying_many_emails_is_stopped(app, client, make_user):
    app.config["LOGIN_MAX_FAILURES_PER_IP"] = 6
    make_user("cand@example.org", GOOD)
    for i in range(6):
        assert attempt(client, f"guess{i}@example.org", "wrong-password").status_code == 200
    assert attempt(client, "cand@example.org", GOOD).status_code == 429
    assert attempt(client, "cand@example.org", GOOD, ip="198.51.100.9").status_code == 302


def test_the_window_slides_and_old_failures_are_pruned(app, client, make_user):
    make_user("cand@example.org", GOOD)
    for _ in range(5):
        attempt(client, "cand@example.org", "wrong-password")
    with session_scope(app) as s:
        s.execute(update(LoginFailure).values(at=utcnow() - timedelta(minutes=16)))
        s.commit()
    assert attempt(client, "cand@example.org", "wrong-password").status_code == 200
    with session_scope(app) as s:
        assert s.scalar(select(func.count()).select_from(LoginFailure)) == 1  # the five old rows are gone
    assert attempt(client, "cand@example.org", GOOD).status_code == 302


def test_forwarded_for_counts_only_behind_a_trusted_proxy(make_user, app):
    from webapp import create_app

    make_user("cand@example.org", GOOD)
    spoofed = {"X-Forwarded-For": "192.0.2.50"}

    def fail_five(client, headers):
        for _ in range(5):
            page = client.get("/login").get_data(as_text=True)
            client.post("/login", headers=headers, data={"csrf_token": csrf_from(page), "email": "cand@example.org",
                                                          "password": "wrong-password"})

    # no proxy configured: the header is the client's own words, the count stays on its address
    direct = app.test_client()
    fail_five(direct, spoofed)
    assert attempt(direct, "cand@example.org", GOOD, ip="127.0.0.1").status_code == 429

    proxied = create_app({**app.config, "TRUSTED_PROXIES": 1}).test_client()
    fail_five(proxied, {"X-Forwarded-For": "192.0.2.60"})
    page = proxied.get("/login").get_data(as_text=True)
    r = proxied.post("/login", headers={"X-Forwarded-For": "192.0.2.60"},
                     data={"csrf_token": csrf_from(page), "email": "cand@example.org", "password": GOOD})
    assert r.status_code == 429
    r = proxied.post("/login", headers={"X-Forwarded-For": "192.0.2.61"},
                     data={"csrf_token": csrf_from(page), "email": "cand@example.org", "password": GOOD})
    assert r.status_code == 302


def test_parallel_guesses_cannot_slip_under_the_limit(app, make_user, monkeypatch):
    """Twenty wrong passwords sent at once: no more than five reach the password check."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    import webapp.auth

    make_user("cand@example.org", GOOD)
    hashed, real = [], webapp.auth.check_password_hash

    def slow_hash(*a):  # a hash takes a while: that is where parallel guesses overlap
        hashed.append(1)
        time.sleep(0.2)
        return real(*a)

    monkeypatch.setattr(webapp.auth, "check_password_hash", slow_hash)
    clients = [app.test_client() for _ in range(20)]
    tokens = [csrf_from(c.get("/login").get_data(as_text=True)) for c in clients]
    start = threading.Barrier(20)

    def guess(i):
        start.wait()
        return clients[i].post("/login", data={"csrf_token": tokens[i], "email": "cand@example.org",
                                               "password": "wrong-password"}).status_code

    with ThreadPoolExecutor(20) as pool:
        codes = list(pool.map(guess, range(20)))
    assert len(hashed) <= 5 and codes.count(429) >= 15


def test_a_limit_of_zero_turns_throttling_off(app, client, make_user):
    app.config.update(LOGIN_MAX_FAILURES=0, LOGIN_MAX_FAILURES_PER_IP=0)
    make_user("cand@example.org", GOOD)
    for _ in range(8):
        assert attempt(client, "cand@example.org", "wrong-password").status_code == 200
    assert attempt(client, "cand@example.org", GOOD).status_code == 302


def test_ipv6_clients_are_counted_by_their_64():
    from webapp.login_throttle import client_key

    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("::ffff:198.51.100.7") == client_key("198.51.100.7") == "198.51.100.7"
