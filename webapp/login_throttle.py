"""Slow down password guessing: failed log-ins are counted per (address, email) and per
address over a sliding window, in the database so every web process sees the same counts.

An attempt is written down as a failure *before* the password is checked, and counted with
it: guesses sent in parallel cannot all slip under the limit while the (slow) hash runs.
Past the limit the form answers 429 without looking at the password, and the refused
attempt is struck off again, so waiting out the window is enough. A successful log-in
clears its (address, email) pair; rows older than the window go whenever one is written.
IPv6 clients are counted by their /64, the block one subscriber usually holds.
"""

from __future__ import annotations

import ipaddress
import math
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from webapp.models import LoginFailure, aware, utcnow


def client_key(addr: str | None) -> str:
    try:
        ip = ipaddress.ip_address(addr or "")
    except ValueError:
        return (addr or "-")[:45]
    if ip.version == 6 and not ip.ipv4_mapped:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip.ipv4_mapped or ip) if ip.version == 6 else str(ip)


def begin(s: Session, ip: str, email: str, config) -> int:
    """Write this attempt down as a failure; 0 to go on and check the password, or the
    seconds to wait when the address is over a limit. A limit of 0 turns that limit off."""
    per_pair, per_ip = config["LOGIN_MAX_FAILURES"], config["LOGIN_MAX_FAILURES_PER_IP"]
    if per_pair <= 0 and per_ip <= 0:
        return 0
    window = timedelta(seconds=config["LOGIN_WINDOW_SECONDS"])
    now = utcnow()
    s.execute(delete(LoginFailure).where(LoginFailure.at <= now - window))
    row = LoginFailure(ip=ip, email=email, at=now)
    s.add(row)
    s.commit()
    recent = select(LoginFailure.at).where(LoginFailure.ip == ip, LoginFailure.at > now - window)
    waits = []
    for query, limit in ((recent.where(LoginFailure.email == email), per_pair), (recent, per_ip)):
        if limit <= 0:
            continue
        if s.scalar(select(func.count()).select_from(query.subquery())) > limit:  # this attempt included
            # the window slides: a slot frees when the limit-th newest earlier attempt ages out
            nth = s.scalar(query.order_by(LoginFailure.at.desc()).offset(limit).limit(1))
            waits.append((aware(nth) + window - now).total_seconds() if nth else 1)
    if waits:
        s.delete(row)
        s.commit()
        return max(1, math.ceil(max(waits)))
    return 0


def succeeded(s: Session, ip: str, email: str) -> None:
    s.execute(delete(LoginFailure).where(LoginFailure.ip == ip, LoginFailure.email == email))
    s.commit()


def in_words(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    return "1 minute" if minutes <= 1 else f"{minutes} minutes"
