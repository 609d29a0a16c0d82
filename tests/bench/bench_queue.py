"""`make bench` (queue): the platform at capacity — who waits, what they are told, how soon
they start once a slot frees.

The real platform with OPSLAB_CAPACITY=BENCH_QUEUE_CAPACITY (default 2): that many candidates
start BENCH_LAB (default greeting-file) and hold their sandboxes, BENCH_QUEUE_WAITING (default
3) more press Start and wait in line. The table shows each waiting Start's place and estimate
as the status API gives it, then the running sessions stop one by one and it measures, for
each admitted Start, stop → ready. Writes var/bench/queue.json.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import requests

from opslab.cli.app import table
from tests.platform import running_platform

CAPACITY = int(os.environ.get("BENCH_QUEUE_CAPACITY", "2"))
WAITING = int(os.environ.get("BENCH_QUEUE_WAITING", "3"))
LABS = Path(os.environ.get("BENCH_LABS", "tests/fixtures/labs")).resolve()
LAB = os.environ.get("BENCH_LAB", "greeting-file")
OUT = Path(os.environ.get("BENCH_QUEUE_OUT", "var/bench/queue.json"))
PASSWORD = "queue-test-secret-37"


def _login(url: str, email: str) -> tuple[requests.Session, str]:
    s = requests.Session()
    token = re.search(r'csrf-token" content="([^"]+)"', s.get(url + "/login").text).group(1)
    r = s.post(url + "/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
    return s, re.search(r'csrf-token" content="([^"]+)"', r.text).group(1)


def _status(url: str, s: requests.Session, sid: str) -> dict:
    return s.get(f"{url}/api/v1/sessions/{sid}").json()


def _wait(url: str, s: requests.Session, sid: str, state: str, timeout: float = 120) -> float:
    t0 = time.monotonic()
    while _status(url, s, sid)["state"] != state:
        if time.monotonic() - t0 > timeout:
            raise RuntimeError(f"{sid} never reached {state}")
        time.sleep(0.02)
    return time.monotonic() - t0


def main() -> int:
    people = [f"queue-{i}@example.org" for i in range(CAPACITY + WAITING)]
    with running_platform(LABS, env={"OPSLAB_CAPACITY": str(CAPACITY)}) as p:
        for email in people:
            subprocess.run([sys.executable, "-m", "opslab.cli", "user", "create", email, "--password", PASSWORD],
                           env=p.env, check=True, capture_output=True)
        users = [_login(p.url, e) for e in people]
        sids = []
        for s, csrf in users:
            sids.append(s.post(p.url + "/api/v1/sessions", json={"lab": LAB}, headers={"X-CSRFToken": csrf}).json()["id"])
        for (s, _), sid in zip(users[:CAPACITY], sids[:CAPACITY], strict=True):
            _wait(p.url, s, sid, "ready")
        told = [_status(p.url, s, sid) for (s, _), sid in zip(users[CAPACITY:], sids[CAPACITY:], strict=True)]
        rows = [[f"waiting #{i + 1}", st["state"], st["queue"]["position"] if st.get("queue") else "-",
                 st["progress"]] for i, st in enumerate(told)]
        admitted = []
        for k in range(min(CAPACITY, WAITING)):
            s, csrf = users[k]
            t0 = time.monotonic()
            s.post(f"{p.url}/api/v1/sessions/{sids[k]}/stop", headers={"X-CSRFToken": csrf})
            ws, _ = users[CAPACITY + k]
            _wait(p.url, ws, sids[CAPACITY + k], "ready")
            admitted.append(time.monotonic() - t0)
        for (s, csrf), sid in zip(users, sids, strict=True):
            s.post(f"{p.url}/api/v1/sessions/{sid}/stop", headers={"X-CSRFToken": csrf})
    print(f"\nqueue at capacity {CAPACITY}, {WAITING} more Starts (load {os.getloadavg()[0]:.1f})")
    print(table(rows, ["START", "STATE", "PLACE", "WHAT THE PAGE SAYS"]))
    print(table([[f"slot {i + 1} freed → next in line ready", f"{t:.2f} s"] for i, t in enumerate(admitted)],
                ["FIGURE", "TIME"]))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"capacity": CAPACITY, "told": told, "admitted_s": admitted}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
