"""Saved practice work: kept at the end of a practice session, listed on "My sessions",
resumed into a new session of the same lab version, deleted by its owner.

The engine saves what the candidate changed on each shell host since the image
(opslab.saved_work) into $OPSLAB_VAR/saved-work/<user>/<session>/ (0700). One saved work per
user and lab: a newer one replaces it. Sessions of a timed assessment (`invite_id`) are never
saved. A failure to save never holds up the final grade or the clean-up: it is logged and
recorded as a row with `error` (shown on "My sessions"), and an older saved work of the lab stays.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import select

from opslab import engine
from webapp.config import private_dir, var_dir
from webapp.models import ACTIVE, LabSession, Role, SavedWork, User, aware

log = logging.getLogger(__name__)


def root() -> Path:
    """Where saved work lives: the app's SAVED_WORK_DIR, else $OPSLAB_VAR/saved-work."""
    if has_app_context() and current_app.config.get("SAVED_WORK_DIR"):
        return Path(current_app.config["SAVED_WORK_DIR"])
    return var_dir() / "saved-work"


def folder(sw: SavedWork) -> Path:
    return root() / str(sw.user_id) / sw.session_id


def save_final(s, ls: LabSession) -> SavedWork | None:
    """Save a practice session's work before its sandbox goes (finish); safe to run twice,
    never raises. Assessments are not saved."""
    if ls.invite_id is not None:
        return None
    done = s.scalar(select(SavedWork).where(SavedWork.session_id == ls.id))
    if done is not None:
        return done
    sw = SavedWork(user_id=ls.user_id, lab_id=ls.lab_id, lab_version=ls.lab_version, session_id=ls.id,
                   params_seed=ls.params_seed or ls.id, hosts=[], size_bytes=0)
    try:
        dest = folder(sw)
        private_dir(dest.parent)
        hosts = engine.save_session_work(ls.id, dest)
        sw.hosts = [{"name": h.name, "paths": h.paths, "deleted": len(h.deleted), "size": h.size} for h in hosts]
        sw.size_bytes = sum(h.size for h in hosts)
    except Exception as e:  # noqa: BLE001 - recorded for the candidate; a bug is logged in full
        reason = engine.describe_failure(e)
        if reason is None:
            log.exception("saving the work of session %s failed", ls.id)
            reason = "an error on the platform's side (it was logged)"
        sw.error = f"could not be saved: {reason}"[:1000]
    older = [] if sw.error else s.scalars(select(SavedWork).where(
        SavedWork.user_id == ls.user_id, SavedWork.lab_id == ls.lab_id)).all()
    for old in older:  # one saved work per user and lab: the newest
        _remove(s, old)
    s.add(sw)
    s.commit()
    return sw


def _remove(s, sw: SavedWork) -> None:
    shutil.rmtree(folder(sw), ignore_errors=True)
    s.delete(sw)


def mine(s, user: User) -> list[SavedWork]:
    return s.scalars(select(SavedWork).where(SavedWork.user_id == user.id)
                     .order_by(SavedWork.created_at.desc())).all()


def owned(s, user: User, saved_id: int) -> SavedWork:
    """The user's saved work (an admin's: anyone's), or SessionError 404."""
    from webapp.services import SessionError

    sw = s.get(SavedWork, saved_id)
    if sw is None or (sw.user_id != user.id and user.role != Role.admin):
        raise SessionError("no such saved work (or not yours)", 404)
    return sw


def delete(s, user: User, saved_id: int) -> None:
    _remove(s, owned(s, user, saved_id))
    s.commit()


def resume(s, user: User, saved_id: int, config: dict) -> LabSession:
    """A new session of the saved lab version that puts the work back after setup (the
    caller enqueues provisioning; the user's caps and the queue apply as to any Start).
    Refused with a sentence when there is nothing to put back,
    the version is gone, or the lab is already running for this user."""
    from webapp.services import SessionError, start_session

    sw = owned(s, user, saved_id)  # an admin may resume anyone's, into a session of their own
    if sw.error or not (folder(sw) / "manifest.json").is_file():
        raise SessionError("there is no saved work to put back here; start the lab afresh from the catalogue", 409)
    try:
        engine.lab_for_session(sw.lab_id, sw.lab_version, sw.session_id)
    except (engine.LabChanged, engine.LabNotFound, engine.LabError):
        raise SessionError("this lab has changed since your work was saved and the old version is no longer "
                           "kept; start the lab afresh from the catalogue", 409) from None
    running = s.scalar(select(LabSession.id).where(LabSession.user_id == user.id, LabSession.lab_id == sw.lab_id,
                                                   LabSession.state.in_(ACTIVE)))
    if running is not None:
        raise SessionError("you have this lab running; stop it before resuming your saved work", 409)
    return start_session(s, user, sw.lab_id, config, restore=sw)


def restore_plan(s, ls: LabSession):
    """For provisioning a resumed session: (lab at its saved version, parameters, folder),
    or None for a fresh start. SessionError when the saved work went meanwhile."""
    from webapp.services import SessionError

    if ls.restore_from is None:
        return None
    sw = s.get(SavedWork, ls.restore_from)
    if sw is None or not (folder(sw) / "manifest.json").is_file():
        raise SessionError("the saved work was deleted before it could be put back; start the lab afresh")
    lab = engine.lab_for_session(ls.lab_id, ls.lab_version, ls.id)
    return lab, engine.session_params(lab, ls.params_seed or sw.params_seed), folder(sw)


def view(sw: SavedWork) -> dict:
    """What the API and "My sessions" show of a saved work."""
    return {"id": sw.id, "lab": sw.lab_id, "lab_version": sw.lab_version, "session": sw.session_id,
            "saved_at": aware(sw.created_at).isoformat(), "size_bytes": sw.size_bytes,
            "hosts": sw.hosts, "error": sw.error, "can_resume": sw.error is None}
