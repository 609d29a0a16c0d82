"""The platform's database on PostgreSQL (OPSLAB_DATABASE_URL=postgresql+psycopg://…).

The server is a real PostgreSQL 15 in a container of the project's own opslab/postgres
image, published on a loopback port for the duration of the test.
"""

from __future__ import annotations

import socket
import time

import pytest

from webapp.db import session_scope
from webapp.models import Grade, LabSession, Role, State


@pytest.fixture(scope="module")
def postgres_url(provider):
    client = provider.client
    try:
        client.api.inspect_image("opslab/postgres")
    except Exception:  # noqa: BLE001 - docker raises ImageNotFound; any failure means "not built"
        pytest.fail("opslab/postgres is not built; run `opslab images build`")
    c = client.containers.run(
        "opslab/postgres", ["sleep", "infinity"], detach=True, init=True, name=f"opslab-test-pg-{int(time.time())}",
        ports={"5432/tcp": ("127.0.0.1", None)}, labels={"opslab.test": "postgres"})
    try:
        script = (
            "set -e; echo \"host all all 0.0.0.0/0 scram-sha-256\" >> /etc/postgresql/15/main/pg_hba.conf; "
            "su postgres -c \"/usr/lib/postgresql/15/bin/pg_ctl -D /var/lib/postgresql/15/main "
            "-o '-c config_file=/etc/postgresql/15/main/postgresql.conf -c listen_addresses=*' -w start\" >/dev/null; "
            "su postgres -c \"psql -qc \\\"CREATE USER opslab PASSWORD 'pw-opslab'\\\"\"; "
            "su postgres -c \"psql -qc \\\"CREATE DATABASE opslab OWNER opslab\\\"\"")
        code, out = c.exec_run(["bash", "-c", script])
        assert code == 0, out.decode()
        c.reload()
        port = int(c.attrs["NetworkSettings"]["Ports"]["5432/tcp"][0]["HostPort"])
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"postgresql+psycopg://opslab:pw-opslab@127.0.0.1:{port}/opslab"
    finally:
        c.remove(force=True)


def test_migrations_and_the_session_model_on_postgresql(postgres_url, tmp_path):
    from webapp import create_app
    from webapp.auth import create_user
    from webapp.migrate import upgrade

    upgrade(postgres_url)
    upgrade(postgres_url)  # a second run is a no-op
    app = create_app({"DATABASE_URL": postgres_url, "SECRET_KEY": "t", "RECORDINGS_DIR": str(tmp_path)})
    with session_scope(app) as s:
        user = create_user(s, "pg@example.org", "password-123", Role.reviewer)
        ls = LabSession(id="pgsession001", user_id=user.id, lab_id="greeting-file", lab_version="v",
                        state=State.ready, hints_revealed={"greeting-present": 1})
        s.add(ls)
        s.add(Grade(session_id=ls.id, report={"score": 3, "tasks": []}))
        s.commit()
    with session_scope(app) as s:
        ls = s.get(LabSession, "pgsession001")
        assert ls.state == State.ready and ls.user.role == Role.reviewer
        assert ls.hints_revealed == {"greeting-present": 1}
        assert ls.grades[0].report["score"] == 3
        assert ls.created_at.tzinfo is not None


def test_login_throttling_counts_on_postgresql(postgres_url, tmp_path):
    from webapp import create_app, login_throttle
    from webapp.migrate import upgrade

    upgrade(postgres_url)
    app = create_app({"DATABASE_URL": postgres_url, "SECRET_KEY": "t", "RECORDINGS_DIR": str(tmp_path)})
    with session_scope(app) as s:
        for _ in range(app.config["LOGIN_MAX_FAILURES"]):
            assert login_throttle.begin(s, "192.0.2.1", "pg@example.org", app.config) == 0
        assert 14 * 60 < login_throttle.begin(s, "192.0.2.1", "pg@example.org", app.config) <= 15 * 60
        login_throttle.succeeded(s, "192.0.2.1", "pg@example.org")
        assert login_throttle.begin(s, "192.0.2.1", "pg@example.org", app.config) == 0


def test_caps_and_grade_claims_hold_under_parallel_requests_on_postgresql(postgres_url, tmp_path, monkeypatch):
    """The caps' count-then-insert takes an advisory lock (past the capacity a Start waits in
    line), and a grade is claimed by one worker only (a compare-and-set on its claim count),
    with requests truly in parallel."""
    import threading

    from tests.conftest import FIXTURE_LABS
    from webapp import create_app, services
    from webapp.auth import create_user
    from webapp.migrate import upgrade
    from webapp.models import User

    monkeypatch.setenv("OPSLAB_LABS", str(FIXTURE_LABS))
    upgrade(postgres_url)
    app = create_app({"DATABASE_URL": postgres_url, "SECRET_KEY": "t", "RECORDINGS_DIR": str(tmp_path)})

    def parallel(n: int, one) -> list:
        barrier, out = threading.Barrier(n), []

        def run(i: int) -> None:
            with session_scope(app) as s:
                barrier.wait()
                out.append(one(s, i))

        threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return out

    def start(config, uid):
        def one(s, i):
            try:
                return services.start_session(s, s.get(User, uid[i] if isinstance(uid, list) else uid),
                                              "greeting-file", config).id
            except services.SessionError as e:
                return e.status
        return one

    with session_scope(app) as s:
        busy = create_user(s, "busy-pg@example.org", "password-123", Role.candidate).id
        crowd = [create_user(s, f"crowd{i}-pg@example.org", "password-123", Role.candidate).id for i in range(12)]
        taken = services.running_count(s)
    made = parallel(6, start({"MAX_SESSIONS_PER_USER": 2, "CAPACITY": 100}, busy))
    assert len(set(made)) == 1 and all(isinstance(m, str) for m in made)  # one sandbox, resumed five times
    made = parallel(12, start({"MAX_SESSIONS_PER_USER": 2, "CAPACITY": taken + 1 + 8}, crowd))
    assert len(set(made)) == 12 and all(isinstance(m, str) for m in made)
    with session_scope(app) as s:
        assert services.running_count(s) == taken + 1 + 8  # the cap held under the race: the rest wait in line
        assert sum(s.get(LabSession, m).queued_at is not None for m in made) == 4

    with session_scope(app) as s:
        g = Grade(session_id=made[0] if isinstance(made[0], str) else next(m for m in made if isinstance(m, str)))
        s.add(g)
        s.commit()
        gid = g.id
    won = parallel(8, lambda s, i: services._claim(s, s.get(Grade, gid)))
    assert won.count(True) == 1
    with session_scope(app) as s:
        assert s.get(Grade, gid).attempts == 1


def test_started_attempts_get_their_terms_pinned_on_postgresql(postgres_url):
    """Migration 8c4d2e6f1a37's backfill on PostgreSQL, from a fresh schema at the revision before it."""
    import sqlalchemy as sa

    from tests.web.test_assessments import check_terms_backfill

    engine = sa.create_engine(postgres_url)
    with engine.begin() as c:  # the module's other tests migrated this database already: start afresh
        c.execute(sa.text("DROP SCHEMA public CASCADE"))
        c.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    check_terms_backfill(postgres_url)
