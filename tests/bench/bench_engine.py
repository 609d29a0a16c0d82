"""`make bench`: sandbox ready and check latency per lab, beside the engine floor.

ready  = create sandbox → setup.sh done → first exec answered
check  = one full grading run (pytest subprocess + every check) on a set-up sandbox
floor  = `docker run -d` + one `docker exec` by the CLI: what the engine alone costs; where the
         engine caps disks (btrfs), measured with and without `--storage-opt size` in the same run

Prints a table and writes var/bench/engine.json. Runs per lab: BENCH_RUNS (default 5).
Lab ids as arguments bench only those (`python -m tests.bench.bench_engine two-host-app-db`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from grader.catalogue import lab_ids, labs_root
from grader.errors import LabError
from grader.loader import load_lab
from grader.runner import grade
from opslab.cli.app import table
from opslab.engine import provider, start_lab, warm_up

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
OUT = Path(os.environ.get("BENCH_OUT", "var/bench/engine.json"))


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def engine_floor(runs: int, cap: int | None = None) -> list[float]:
    """`docker run` + one exec, `runs` times; with `cap`, under `--storage-opt size=cap`."""
    times = []
    opts = ["--storage-opt", f"size={cap}"] if cap else []
    for i in range(runs):
        name = f"opslab-bench-floor-{os.getpid()}-{i}"
        t0 = time.monotonic()
        subprocess.run(["docker", "run", "-d", "--name", name, "--network", "none", *opts, "opslab/base",
                        "sleep", "infinity"], check=True, capture_output=True)
        subprocess.run(["docker", "exec", name, "true"], check=True, capture_output=True)
        times.append(time.monotonic() - t0)
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)
    return times


def floors(runs: int) -> dict[str, list[float]]:
    """The engine floor, and where the engine caps disks, the same under the cap sandboxes get
    (the limit plus the image: btrfs counts the image's files in the container's quota)."""
    info = provider().info()
    found = {"(engine floor: docker run + exec)": engine_floor(runs)}
    if info.disk_cap_enforced:
        size = info.disk_limit_bytes + (provider().client.api.inspect_image("opslab/base").get("Size") or 0)
        found[f"(engine floor, disk capped at {info.disk_limit_bytes >> 20} MiB)"] = engine_floor(runs, size)
    return found


def bench_lab(lab, runs: int) -> dict:
    ready, checks = [], []
    for _ in range(runs):
        t0 = time.monotonic()
        sb = start_lab(lab, ttl=900)
        try:
            sb.exec(sb.hosts[0], ["true"])
            ready.append(time.monotonic() - t0)
            t1 = time.monotonic()
            report = grade(lab, sb.target())
            checks.append(time.monotonic() - t1)
            if report.lab_error:
                raise RuntimeError(f"{lab.id}: {report.lab_error}")
        finally:
            sb.destroy()  # removal is off the measured path, as it is off the user's
    n_checks = sum(len(v) for v in lab.checks.values())
    return {"lab": lab.id, "hosts": len(lab.hosts), "checks": n_checks, "runs": runs,
            "ready_p50": pct(ready, 50), "ready_p95": pct(ready, 95), "check_p50": pct(checks, 50),
            "check_p95": pct(checks, 95), "ready": ready, "check": checks}


def main(argv: list[str]) -> int:
    provider()  # the engine answers before anything is measured
    labs = []
    for lab_id in argv or lab_ids():
        try:
            labs.append(load_lab(labs_root() / lab_id))
        except LabError as e:
            print(f"skipping {lab_id}: {e}", file=sys.stderr)
    warm_up()  # as a Celery worker does at start: the first check does not pay the fork server's start
    print(f"engine floor: {RUNS} × docker run + exec …", file=sys.stderr)
    measured = floors(RUNS)
    floor = next(iter(measured.values()))
    results = []
    for lab in labs:
        print(f"{lab.id}: {RUNS} runs …", file=sys.stderr)
        results.append(bench_lab(lab, RUNS))
    rows = [[label, "1", "-", f"{pct(t, 50):.2f}", f"{pct(t, 95):.2f}", "-", "-"] for label, t in measured.items()]
    for r in results:
        rows.append([r["lab"], str(r["hosts"]), str(r["checks"]), f"{r['ready_p50']:.2f}",
                     f"{r['ready_p95']:.2f}", f"{r['check_p50']:.2f}", f"{r['check_p95']:.2f}"])
    print(table(rows, ["LAB", "HOSTS", "CHECKS", "READY p50 s", "READY p95 s", "CHECK p50 s", "CHECK p95 s"]))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"runs": RUNS, "floor_p50": pct(floor, 50), "floor_p95": pct(floor, 95),
                               "floor": floor, "floors": measured, "disk_cap_enforced": provider().info().disk_cap_enforced,
                               "labs": results, "at": time.time()}, indent=2))
    print(f"\nwritten {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
