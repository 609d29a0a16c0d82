"""Flask test-client fixtures: a real app on a temporary SQLite database (migrated)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import FIXTURE_LABS


@pytest.fixture
def app(tmp_path, monkeypatch):
    from webapp import create_app
    from webapp.migrate import upgrade

    monkeypatch.setenv("OPSLAB_LABS", str(FIXTURE_LABS))
    url = f"sqlite:///{tmp_path / 'test.db'}"
    upgrade(url)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test",
                      "RECORDINGS_DIR": str(tmp_path / "rec"), "SAVED_WORK_DIR": str(tmp_path / "saved"),
                      "REDIS_URL": "redis://127.0.0.1:1/0"})
    yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    from webapp.auth import create_user
    from webapp.db import session_scope
    from webapp.models import Role

    def make(email="cand@example.org", password="password-123", role=Role.candidate):
        with session_scope(app) as s:
            return create_user(s, email, password, role)

    return make


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


@pytest.fixture
def login(client, make_user):
    """Log in as a new user of the given role; returns (user, csrf token)."""
    def do(email="cand@example.org", role=None):
        from webapp.models import Role

        user = make_user(email, "password-123", role or Role.candidate)
        page = client.get("/login").get_data(as_text=True)
        r = client.post("/login", data={"csrf_token": csrf_from(page), "email": email, "password": "password-123"})
        assert r.status_code == 302
        return user, csrf_from(client.get("/").get_data(as_text=True))

    return do
