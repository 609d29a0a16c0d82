"""Slow down password guessing: failed log-ins are counted per (address, email) and per
address over a sliding window, in the database so every web process sees the same counts.

Past the limit the form answers 429 without looking at the password (no hash is computed,
so a flood costs the server nothing). A successful log-in clears its (address, email) pair;
rows older than the window are deleted whenever a failure is written.
"""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from webapp.models import LoginFailure, aware, utcnow


def retry_after(s: Session, ip: str, email: str, config) -> int:
    """Seconds until this address may try `email` again; 0 when it may try now."""
    window = timedelta(seconds=config["LOGIN_WINDOW_SECONDS"])
    now = utcnow()
    since = now - window
    recent = select(LoginFailure.at).where(LoginFailure.ip == ip, LoginFailure.at > since)
    waits = []
    for query, limit in ((recent.where(LoginFailure.email == email), config["LOGIN_MAX_FAILURES"]),
                         (recent, config["LOGIN_MAX_FAILURES_PER_IP"])):
        count = s.scalar(select(func.count()).select_from(query.subquery()))
        if count >= limit:
            # the window slides: the attempt that frees a slot is the limit-th newest one
            nth = s.scalar(query.order_by(LoginFailure.at.desc()).offset(limit - 1).limit(1))
            waits.append((aware(nth) + window - now).total_seconds())
    return max(1, math.ceil(max(waits))) if waits else 0


def record_failure(s: Session, ip: str, email: str, config) -> None:
    now = utcnow()
    s.execute(delete(LoginFailure).where(LoginFailure.at <= now - timedelta(seconds=config["LOGIN_WINDOW_SECONDS"])))
    s.add(LoginFailure(ip=ip, email=email, at=now))
    s.commit()


def clear(s: Session, ip: str, email: str) -> None:
    s.execute(delete(LoginFailure).where(LoginFailure.ip == ip, LoginFailure.email == email))
    s.commit()


def in_words(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    return "1 minute" if minutes <= 1 else f"{minutes} minutes"
