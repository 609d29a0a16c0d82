"""`make bench` (load): N candidates at once on the real platform, as issue 18 describes them.

Each candidate (its own account) starts BENCH_LOAD_LAB (default nginx-broken-site from labs/),
waits until it is ready, presses Check three times (each waited for), and stops. Measured:
ready (POST → status `ready`) and Check (POST → grade done) p50/p95, errors (any refused
request, failed start or grade that ended in an error), and `GET /login` latency sampled
every 100 ms during the burst. BENCH_LOAD (default "10,20") sets the crowd sizes; the
platform runs as `make run` sizes it (tests.platform). Writes var/bench/load.json.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from opslab.cli.app import table
from tests.bench.bench_engine import pct
from tests.platform import running_platform

SIZES = [int(n) for n in os.environ.get("BENCH_LOAD", "10,20").split(",") if n.strip()]
LAB = os.environ.get("BENCH_LOAD_LAB", "nginx-broken-site")
LABS = Path(os.environ.get("BENCH_LOAD_LABS", "labs")).resolve()
OUT = Path(os.environ.get("BENCH_LOAD_OUT", "var/bench/load.json"))
PASSWORD = "load-test-secret-51"


def _login(url: str, email: str) -> tuple[requests.Session, str]:
    s = requests.Session()
    token = re.search(r'csrf-token" content="([^"]+)"', s.get(url + "/login").text).group(1)
    r = s.post(url + "/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
    return s, re.search(r'csrf-token" content="([^"]+)"', r.text).group(1)


def candidate(url: str, email: str, out: dict) -> None:
    s, csrf = _login(url, email)
    h = {"X-CSRFToken": csrf}
    t0 = time.monotonic()
    r = s.post(url + "/api/v1/sessions", json={"lab": LAB}, headers=h)
    if r.status_code != 202:
        out["errors"].append(f"start: {r.status_code} {r.text[:100]}")
        return
    sid = r.json()["id"]
    try:
        while (st := s.get(f"{url}/api/v1/sessions/{sid}").json())["state"] != "ready":
            if st["state"] == "failed" or time.monotonic() - t0 > 300:
                out["errors"].append(f"start: {st['state']} {st.get('failure_reason')}")
                return
            time.sleep(0.1)
        out["ready"].append(time.monotonic() - t0)
        for _ in range(3):
            t1 = time.monotonic()
            r = s.post(f"{url}/api/v1/sessions/{sid}/check", headers=h)
            if r.status_code != 202:
                out["errors"].append(f"check: {r.status_code} {r.text[:100]}")
                continue
            gid = r.json()["grade_id"]
            while not (g := s.get(f"{url}/api/v1/sessions/{sid}/grades/{gid}").json()).get("done"):
                if time.monotonic() - t1 > 300:
                    out["errors"].append("check: not done in 300 s")
                    break
                time.sleep(0.05)
            else:
                out["check"].append(time.monotonic() - t1)
                if g.get("error"):
                    out["errors"].append(f"check: {g['error'][:100]}")
    finally:
        s.post(f"{url}/api/v1/sessions/{sid}/stop", headers=h)


def burst(url: str, n: int) -> dict:
    out = {"ready": [], "check": [], "errors": [], "page": []}
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            t = time.monotonic()
            try:
                requests.get(url + "/login", timeout=10)
                out["page"].append(time.monotonic() - t)
            except requests.RequestException as e:
                out["errors"].append(f"GET /login: {e}")
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.monotonic()
    with ThreadPoolExecutor(n) as pool:
        list(pool.map(lambda i: candidate(url, f"load{n}-{i}@example.org", out), range(n)))
    out["seconds"] = time.monotonic() - t0
    stop.set()
    sampler.join()
    return out


def main() -> int:
    results = {}
    with running_platform(LABS) as p:
        for n in SIZES:
            for i in range(n):
                subprocess.run([sys.executable, "-m", "opslab.cli", "user", "create", f"load{n}-{i}@example.org",
                                "--password", PASSWORD], env=p.env, check=True, capture_output=True)
        for n in SIZES:
            print(f"{n} candidates at once…", file=sys.stderr)
            results[n] = burst(p.url, n)
            time.sleep(5)  # let the final grades and clean-ups of this crowd finish
    ms = lambda v: f"{v * 1000:.0f} ms" if v < 10 else f"{v:.1f} s"  # noqa: E731
    rows = [[f"{n} at once", ms(pct(r["ready"], 50)), ms(pct(r["ready"], 95)), ms(pct(r["check"], 50)),
             ms(pct(r["check"], 95)), len(r["errors"]), ms(pct(r["page"], 50)), ms(max(r["page"] or [0])),
             f"{r['seconds']:.0f} s"] for n, r in results.items()]
    print(f"\nload, lab {LAB}: start, 3 Checks, stop per candidate (load {os.getloadavg()[0]:.1f})")
    print(table(rows, ["CROWD", "READY p50", "p95", "CHECK p50", "p95", "ERRORS", "GET / p50", "max", "TOOK"]))
    for n, r in results.items():
        for e in r["errors"][:5]:
            print(f"  {n}: {e}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({str(n): r for n, r in results.items()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
