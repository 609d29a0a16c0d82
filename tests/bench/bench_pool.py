"""`make bench` (warm pools): Start → ready, pooled beside cold, beside the engine floor, in one run.

start → ready = POST /api/v1/sessions → the session's status says `ready` (polled every 10 ms)
  pooled: a warm member of the lab's pool is waiting (webapp.pools); the Start claims it
  cold:   no member (the pool is empty): a worker creates the sandbox and runs setup.sh
floor   = `docker run -d` + one `docker exec` (tests.bench.bench_engine): the engine alone

Starts the real platform (tests.platform) on BENCH_LABS (default tests/fixtures/labs) with
OPSLAB_WARM_POOL=<BENCH_LAB>=1, BENCH_RUNS (default 5) of each, alternating, and writes
var/bench/pool.json (BENCH_POOL_OUT).
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

import requests

from opslab.cli.app import table
from opslab.engine import destroy_sandbox
from tests.bench.bench_engine import engine_floor, pct
from tests.platform import CANDIDATE, running_platform

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
LABS = Path(os.environ.get("BENCH_LABS", "tests/fixtures/labs")).resolve()
LAB = os.environ.get("BENCH_LAB", "greeting-file")
OUT = Path(os.environ.get("BENCH_POOL_OUT", "var/bench/pool.json"))
TARGET_POOLED = 0.300


def _login(url: str) -> tuple[requests.Session, str]:
    s = requests.Session()
    token = re.search(r'csrf-token" content="([^"]+)"', s.get(url + "/login").text).group(1)
    r = s.post(url + "/login", data={"csrf_token": token, "email": CANDIDATE[0], "password": CANDIDATE[1]})
    return s, re.search(r'csrf-token" content="([^"]+)"', r.text).group(1)


def _ready_members(app) -> list[str]:
    from webapp.db import session_scope
    from webapp.models import PoolMember

    with session_scope(app) as s:
        return [m.id for m in s.query(PoolMember).filter_by(state="ready").all()]


def _all_members(app) -> list[str]:
    from webapp.db import session_scope
    from webapp.models import PoolMember

    with session_scope(app) as s:
        return [m.id for m in s.query(PoolMember).all()]


def _start(url: str, s: requests.Session, csrf: str) -> tuple[float, str]:
    t0 = time.monotonic()
    sid = s.post(url + "/api/v1/sessions", json={"lab": LAB}, headers={"X-CSRFToken": csrf}).json()["id"]
    while s.get(f"{url}/api/v1/sessions/{sid}").json()["state"] != "ready":
        if time.monotonic() - t0 > 120:
            raise RuntimeError(f"session {sid} never became ready")
        time.sleep(0.01)
    return time.monotonic() - t0, sid


def _stop(url: str, s: requests.Session, csrf: str, sid: str) -> None:
    s.post(f"{url}/api/v1/sessions/{sid}/stop", headers={"X-CSRFToken": csrf})


def main() -> int:
    pooled, cold = [], []
    with running_platform(LABS, env={"OPSLAB_WARM_POOL": f"{LAB}=1"}) as p:
        app = p.app()
        from webapp.tasks import refill_pools

        try:
            s, csrf = _login(p.url)
            with app.app_context():
                refill_pools.delay()
            for i in range(RUNS):  # alternating: a pooled Start, then a cold one while the pool refills
                end = time.monotonic() + 120
                while not _ready_members(app):
                    if time.monotonic() > end:
                        raise RuntimeError("no warm member became ready in 120 s")
                    time.sleep(0.05)
                took, sid = _start(p.url, s, csrf)
                pooled.append(took)
                _stop(p.url, s, csrf, sid)
                _drain(app)
                took_cold, sid = _start(p.url, s, csrf)
                cold.append(took_cold)
                _stop(p.url, s, csrf, sid)
                print(f"run {i + 1}/{RUNS}: pooled {took * 1000:.0f} ms, cold {took_cold * 1000:.0f} ms", file=sys.stderr)
        finally:
            for mid in _all_members(app):
                destroy_sandbox(mid)
    floor = engine_floor(RUNS)
    rows = [[name, f"{pct(v, 50) * 1000:.0f} ms", f"{pct(v, 95) * 1000:.0f} ms", f"{min(v) * 1000:.0f} ms",
             f"{max(v) * 1000:.0f} ms", target]
            for name, v, target in (("start → ready, pooled", pooled, f"p50 ≤ {TARGET_POOLED * 1000:.0f} ms"),
                                    ("start → ready, cold", cold, ""),
                                    ("(engine floor: docker run + exec)", floor, ""))]
    print(f"\nwarm pool, lab {LAB}, {RUNS} runs each (load {os.getloadavg()[0]:.1f})")
    print(table(rows, ["FIGURE", "p50", "p95", "MIN", "MAX", "TARGET"]))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"lab": LAB, "pooled": pooled, "cold": cold, "floor": floor}, indent=1))
    return 0 if pct(pooled, 50) <= TARGET_POOLED else 1


def _drain(app) -> None:
    """Take every ready member out of the pool (so the next Start is cold) and remove it."""
    from grader.loader import load_lab
    from webapp import pools
    from webapp.db import session_scope

    lab = load_lab(LABS / LAB)
    with session_scope(app) as db:
        while (member := pools.claim(db, lab)) is not None:
            db.commit()
            destroy_sandbox(member)


if __name__ == "__main__":
    sys.exit(main())
