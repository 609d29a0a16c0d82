"""Saved practice work in the web app: kept only for practice, listed on My sessions and in
the API, resumed into a new session that keeps the lab version and parameters, deleted by its
owner; someone else's answers 404. (The engine side runs on real Docker in
tests/integration/test_saved_work.py, the whole flow in tests/browser/test_resume.py.)"""

from __future__ import annotations

import json

import pytest

from opslab import engine
from opslab.saved_work import SavedHost
from tests.web.test_views import add_session
from webapp import saved
from webapp.db import session_scope
from webapp.models import LabSession, SavedWork, State


def _saved(app, user_id, sid, lab_version, files=True, error=None) -> int:
    """A saved work row, with its folder written as the engine would."""
    with session_scope(app) as s:
        sw = SavedWork(user_id=user_id, lab_id="greeting-file", lab_version=lab_version, session_id=sid,
                       params_seed=sid, hosts=[{"name": "box", "paths": 1, "deleted": 0, "size": 10}],
                       size_bytes=10, error=error)
        s.add(sw)
        s.commit()
        if files:
            with app.app_context():
                folder = saved.folder(sw)
            folder.mkdir(parents=True)
            (folder / "manifest.json").write_text(json.dumps({"hosts": []}))
        return sw.id


@pytest.fixture
def version(app):
    with app.app_context():
        return engine.find_lab_cached("greeting-file").version


def test_listed_resumed_and_deleted_by_the_owner(app, client, login, version):
    user, csrf = login()
    sid = add_session(app, user.id, state=State.destroyed)
    wid = _saved(app, user.id, sid, version)
    page = client.get("/sessions").get_data(as_text=True)
    assert "Saved work" in page and "Resume" in page and f"/saved/{wid}/resume" in page
    listed = client.get("/api/v1/saved").json["saved"]
    assert [(w["id"], w["can_resume"], w["session"]) for w in listed] == [(wid, True, sid)]

    r = client.post(f"/api/v1/saved/{wid}/resume", headers={"X-CSRFToken": csrf})
    assert r.status_code == 202, r.json
    with session_scope(app) as s:
        ls = s.get(LabSession, r.json["id"])
        assert (ls.restore_from, ls.params_seed, ls.lab_version) == (wid, sid, version)
        with app.app_context():
            lab, params, folder = saved.restore_plan(s, ls)
            assert lab.version == version and folder == saved.folder(s.get(SavedWork, wid))
    again = client.post(f"/api/v1/saved/{wid}/resume", headers={"X-CSRFToken": csrf})
    assert again.status_code == 409 and "stop it before resuming" in again.json["error"]

    assert client.delete(f"/api/v1/saved/{wid}", headers={"X-CSRFToken": csrf}).json == {"deleted": wid}
    assert client.get("/api/v1/saved").json["saved"] == []
    with app.app_context():
        assert saved.root().is_relative_to(app.config["SAVED_WORK_DIR"])
        assert not saved.root().joinpath(str(user.id), sid).exists()


def test_someone_elses_saved_work_is_404(app, client, login, make_user, version):
    other = make_user("other@example.org", "password-456")
    wid = _saved(app, other.id, add_session(app, other.id, state=State.destroyed), version)
    _, csrf = login()
    assert client.get("/api/v1/saved").json["saved"] == []
    assert client.post(f"/api/v1/saved/{wid}/resume", headers={"X-CSRFToken": csrf}).status_code == 404
    assert client.delete(f"/api/v1/saved/{wid}", headers={"X-CSRFToken": csrf}).status_code == 404
    assert client.post(f"/saved/{wid}/delete", data={"csrf_token": csrf}).status_code == 404


def test_what_cannot_be_resumed_says_why(app, client, login, version):
    user, csrf = login()
    failed = _saved(app, user.id, add_session(app, user.id, state=State.destroyed), version, files=False,
                    error="could not be saved: your changes come to more than 64 MiB")
    assert "could not be saved: your changes come to more than 64 MiB" in client.get("/sessions").get_data(as_text=True)
    r = client.post(f"/api/v1/saved/{failed}/resume", headers={"X-CSRFToken": csrf})
    assert r.status_code == 409 and "start the lab afresh" in r.json["error"]
    old = _saved(app, user.id, add_session(app, user.id, state=State.destroyed), "0" * 16)
    r = client.post(f"/api/v1/saved/{old}/resume", headers={"X-CSRFToken": csrf})
    assert r.status_code == 409 and "has changed since your work was saved" in r.json["error"]


def test_saved_at_the_end_of_practice_only_and_one_per_lab(app, make_user, monkeypatch, version):
    user = make_user()
    calls = []

    def fake_save(session, dest, max_bytes=None):  # the engine's part runs for real in tests/integration
        calls.append(session)
        dest.mkdir(parents=True)
        (dest / "manifest.json").write_text("{}")
        return [SavedHost("box", 3, [], 100)]

    monkeypatch.setattr(engine, "save_session_work", fake_save)
    with app.app_context(), session_scope(app) as s:
        first = s.get(LabSession, add_session(app, user.id, state=State.graded))
        exam = s.get(LabSession, add_session(app, user.id, state=State.graded))
        exam.invite_id = 1
        assert saved.save_final(s, exam) is None
        a = saved.save_final(s, first)
        assert saved.save_final(s, first).id == a.id  # a second finish saves nothing more
        second = s.get(LabSession, add_session(app, user.id, state=State.graded))
        b = saved.save_final(s, second)
        assert [w.id for w in saved.mine(s, user)] == [b.id] and b.size_bytes == 100  # the newer replaces it
        assert not saved.folder(a).exists() and calls == [first.id, second.id]

        def broken(session, dest, max_bytes=None):
            raise engine.WorkTooLarge(64 << 20)

        monkeypatch.setattr(engine, "save_session_work", broken)
        third = s.get(LabSession, add_session(app, user.id, state=State.graded))
        c = saved.save_final(s, third)
        assert c.error.startswith("could not be saved: your changes come to more than 64 MiB")
        assert {w.id for w in saved.mine(s, user)} == {b.id, c.id}  # a failed save keeps the older work
