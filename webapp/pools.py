"""Warm pools: sandboxes started and set up ahead of time, so Start is a claim, not a wait.

Per lab, `pool_size(lab, config)` members are kept ready: the lab's hint (`warm_pool:` in
lab.yaml) unless the platform setting `OPSLAB_WARM_POOL` says otherwise (`0` turns pools off;
`lab=N,other=M` sets sizes, `*=N` every lab's). A member is a PoolMember row plus a sandbox
whose session id is the row's id. Start claims one with a conditional DELETE (one claimant
wins), and the LabSession takes the same id: the sandbox needs no renaming, carries nothing
from anyone else (a member is used once), and is the lab version the row names.

Members count against capacity (a refill never fills past it; a Start is never refused for
a member's sake: the sweep retires the surplus), are retired when their lab changes, when
they are older than MAX_AGE, or when a start of theirs died; the sweep refills every 30 s
and every claim asks for a refill at once.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete, func, select, update

from opslab import engine
from webapp.models import ACTIVE, LabSession, PoolMember, aware, utcnow

log = logging.getLogger(__name__)

MAX_AGE = timedelta(hours=2)  # a member older than this is replaced (its sandbox's label allows for it)


def parse_setting(text: str | None) -> dict[str, int] | None:
    """OPSLAB_WARM_POOL: None (empty: the labs' own hints), {"*": 0} for "0", else lab → size."""
    text = (text or "").strip()
    if not text:
        return None
    if text.isdigit():
        return {"*": int(text)}
    sizes = {}
    for part in text.split(","):
        lab, sep, n = part.strip().partition("=")
        if not sep or not n.strip().isdigit() or not lab.strip():
            raise ValueError(f"OPSLAB_WARM_POOL: expected lab=N[,lab=N…], *=N or a number, got {part.strip()!r}")
        sizes[lab.strip()] = int(n)
    return sizes


def pool_size(lab, config) -> int:
    sizes = parse_setting(config.get("WARM_POOL"))
    if sizes is None:
        return lab.spec.warm_pool
    return sizes.get(lab.id, sizes.get("*", 0))


def _labs(config) -> list:
    from webapp.services import load_lab

    sizes = parse_setting(config.get("WARM_POOL"))
    if sizes == {"*": 0}:
        return []
    ids = engine.lab_ids() if sizes is None or "*" in sizes else list(sizes)
    labs = []
    for lab_id in ids:
        try:
            labs.append(load_lab(lab_id))
        except Exception as e:  # noqa: BLE001 - a broken or missing lab has no pool, and says why in the log
            log.debug("warm pool: lab %s skipped: %s", lab_id, e)
    return labs


def claim(s, lab) -> str | None:
    """A ready member of this lab version, taken for a Start (the caller commits), or None."""
    ids = s.scalars(select(PoolMember.id).where(PoolMember.lab_id == lab.id, PoolMember.lab_version == lab.version,
                                                PoolMember.state == "ready").order_by(PoolMember.ready_at).limit(5)).all()
    for member in ids:
        taken = s.execute(delete(PoolMember).where(PoolMember.id == member, PoolMember.state == "ready")
                          .execution_options(synchronize_session=False))
        if taken.rowcount == 1:
            return member
    return None


def refill(s, config) -> list[str]:
    """Retire what must go, queue new members where a pool is short (within capacity); return
    the ids queued (the caller enqueues `warm` for each)."""
    labs = {lab.id: lab for lab in _labs(config)}
    now, timeout = utcnow(), timedelta(seconds=config.get("PROVISION_TIMEOUT", 600))
    members = s.scalars(select(PoolMember).order_by(PoolMember.created_at)).all()
    # a ready member whose sandbox is gone (reaped while the platform was down) is no member
    live = {i.session for i in engine.list_sandboxes()} if any(m.state == "ready" for m in members) else set()
    keep, retire = {}, []
    for m in members:
        lab = labs.get(m.lab_id)
        size = pool_size(lab, config) if lab else 0
        stale = (lab is None or m.lab_version != lab.version or aware(m.created_at) < now - MAX_AGE
                 or (m.state == "ready" and m.id not in live))
        stuck = m.state != "ready" and aware(m.created_at) < now - timeout
        if stale or stuck or len(keep.setdefault(m.lab_id, [])) >= size:
            retire.append((m.id, m.state))
        else:
            keep[m.lab_id].append(m.id)
    gone = [mid for mid, state in retire
            if s.execute(delete(PoolMember).where(PoolMember.id == mid, PoolMember.state == state)
                         .execution_options(synchronize_session=False)).rowcount == 1]
    active = s.scalar(select(func.count()).select_from(LabSession).where(LabSession.state.in_(ACTIVE)))
    room = config["CAPACITY"] - active - sum(len(v) for v in keep.values())
    queued = []
    for lab in labs.values():
        short = pool_size(lab, config) - len(keep.get(lab.id, []))
        while short > 0 and room > 0:
            member = PoolMember(id=engine.new_session_id(), lab_id=lab.id, lab_version=lab.version, state="queued")
            s.add(member)
            queued.append(member.id)
            short, room = short - 1, room - 1
    s.commit()
    for mid in gone:  # "starting" ones too: their warm task finds no row and removes what it made
        engine.destroy_sandbox(mid)
    return queued


def warm(s, member_id: str) -> bool:
    """Start and set up one queued member's sandbox (a worker's task); True once it is ready.
    A duplicate delivery, a lab that changed, or a retirement meanwhile leave nothing behind."""
    from webapp.services import load_lab

    took = s.execute(update(PoolMember).where(PoolMember.id == member_id, PoolMember.state == "queued")
                     .values(state="starting").execution_options(synchronize_session=False))
    s.commit()
    if took.rowcount != 1:
        return False
    m = s.get(PoolMember, member_id)
    try:
        lab = load_lab(m.lab_id)
        if lab.version != m.lab_version:
            raise engine.LabChanged(f"{m.lab_id} changed since the member was queued")
        ttl = lab.duration_seconds + engine.GRACE + int(MAX_AGE.total_seconds())
        engine.start_lab(lab, session=member_id, ttl=ttl)
    except Exception as e:  # noqa: BLE001 - the member is dropped; the next refill queues another
        log.warning("warm pool: member %s of %s failed to start: %s", member_id, m.lab_id, e)
        s.execute(delete(PoolMember).where(PoolMember.id == member_id).execution_options(synchronize_session=False))
        s.commit()
        return False
    ready = s.execute(update(PoolMember).where(PoolMember.id == member_id, PoolMember.state == "starting")
                      .values(state="ready", ready_at=utcnow()).execution_options(synchronize_session=False))
    s.commit()
    if ready.rowcount != 1:  # retired while it started
        engine.destroy_sandbox(member_id)
        return False
    return True


def sizes(s) -> dict[str, dict[str, int]]:
    """{lab: {state: count}} of the pools, for status pages and metrics."""
    out: dict[str, dict[str, int]] = {}
    for lab_id, state, n in s.execute(select(PoolMember.lab_id, PoolMember.state, func.count())
                                      .group_by(PoolMember.lab_id, PoolMember.state)):
        out.setdefault(lab_id, {})[state] = n
    return out
