"""`make bench` (density): how many idle sandboxes this machine holds, and what each costs.

Starts BENCH_DENSITY (default 100) set-up sandboxes of BENCH_LAB (default greeting-file from
tests/fixtures/labs: one container) through the engine, BENCH_DENSITY_JOBS (default 4) at a
time, then measures, with every sandbox idle:

- host memory per sandbox: the drop of MemAvailable (/proc/meminfo) over all of them, divided
- container memory per sandbox: the container's own cgroup (memory.usage_in_bytes)
- engine overhead per sandbox: the RSS of its containerd-shim
- one terminal: the RSS of the `docker exec -it` client the platform runs per open terminal
- the platform's own RSS: redis, gunicorn and the Celery workers, idle (tests.platform)

Everything it started is removed afterwards, whatever happens. Writes var/bench/density.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from grader.loader import load_lab
from opslab.cli.app import table
from opslab.engine import destroy_sandbox, start_lab
from tests.platform import running_platform

N = int(os.environ.get("BENCH_DENSITY", "100"))
JOBS = int(os.environ.get("BENCH_DENSITY_JOBS", "4"))
LABS = Path(os.environ.get("BENCH_LABS", "tests/fixtures/labs")).resolve()
LAB = os.environ.get("BENCH_LAB", "greeting-file")
OUT = Path(os.environ.get("BENCH_DENSITY_OUT", "var/bench/density.json"))
MIB = 1 << 20


def mem_available() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no MemAvailable in /proc/meminfo")


def rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_rss(pid: int) -> int:
    """RSS of a process and all its descendants."""
    children = {}
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                ppid = int(Path(p, "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(p.name))
    total, todo = 0, [pid]
    while todo:
        cur = todo.pop()
        total += rss(cur)
        todo += children.get(cur, [])
    return total


def shim_rss(container_ids: set[str]) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            cmd = Path(p, "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmd and b"containerd-shim" in cmd[0] and any(c.decode(errors="replace") in container_ids for c in cmd):
            out.append(rss(int(p.name)))
    return out


def container_memory(cid: str) -> int | None:
    for path in (f"/sys/fs/cgroup/memory/docker/{cid}/memory.usage_in_bytes",
                 f"/sys/fs/cgroup/system.slice/docker-{cid}.scope/memory.current"):
        try:
            return int(Path(path).read_text())
        except OSError:
            continue
    return None


def median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else float("nan")


def main() -> int:
    lab = load_lab(LABS / LAB)
    started, failed = [], []
    before = mem_available()
    t0 = time.monotonic()
    try:
        def one(_):
            try:
                sb = start_lab(lab, ttl=30 * 60)
                started.append(sb)
            except Exception as e:  # noqa: BLE001 - counted and shown: where density stops is the finding
                failed.append(f"{type(e).__name__}: {str(e)[:200]}")

        with ThreadPoolExecutor(JOBS) as pool:
            for i, _ in enumerate(pool.map(one, range(N)), 1):
                if i % 10 == 0:
                    print(f"{i}/{N} started ({len(failed)} failed, {time.monotonic() - t0:.0f} s)", file=sys.stderr)
        start_s = time.monotonic() - t0
        time.sleep(5)  # let them settle idle
        after = mem_available()
        import docker

        client = docker.from_env()
        ids = {c.id for sb in started for c in client.containers.list(filters={"label": f"opslab.session={sb.session}"})}
        mem = [m for cid in ids if (m := container_memory(cid)) is not None]
        shims = shim_rss(ids)
        # one terminal: the docker CLI the platform runs per open terminal (webapp.terminal)
        term = subprocess.Popen(started[0].shell_command(started[0].hosts[0], interactive=False), stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) if started else None
        time.sleep(1)
        term_rss = rss(term.pid) if term else 0
        if term:
            term.kill()
    finally:
        t1 = time.monotonic()
        with ThreadPoolExecutor(JOBS) as pool:
            list(pool.map(lambda sb: destroy_sandbox(sb.session), started))
        remove_s = time.monotonic() - t1
    with running_platform(LABS) as p:
        time.sleep(2)
        platform_rss = sum(tree_rss(proc.pid) for proc in p.procs.values())
    per_host = (before - after) / max(len(started), 1)
    rows = [
        ["idle sandboxes started", f"{len(started)} of {N}", f"in {start_s:.0f} s, {JOBS} at a time; removed in {remove_s:.0f} s"],
        ["host memory per sandbox (MemAvailable drop)", f"{per_host / MIB:.1f} MiB",
         "all costs together; other work on the machine moves it"],
        ["container + shim, median sum", f"{(median(mem) + median(shims)) / MIB:.1f} MiB", "what each idle sandbox holds"],
        ["container memory (cgroup), median", f"{median(mem) / MIB:.1f} MiB", f"{len(mem)} containers"],
        ["containerd-shim RSS, median", f"{median(shims) / MIB:.1f} MiB", f"{len(shims)} shims"],
        ["one open terminal (docker exec client RSS)", f"{term_rss / MIB:.1f} MiB", "per terminal, on the web host"],
        ["platform RSS, idle (redis, web, workers)", f"{platform_rss / MIB:.0f} MiB", "fixed, whatever the sandboxes"],
    ]
    print(f"\ndensity, lab {LAB} (load {os.getloadavg()[0]:.1f}, MemAvailable {after / (1 << 30):.1f} GiB with them)")
    print(table(rows, ["FIGURE", "VALUE", "NOTE"]))
    if failed:
        print(f"\n{len(failed)} starts failed; first: {failed[0]}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"n": N, "started": len(started), "failed": failed[:10], "start_s": start_s,
                               "per_sandbox_bytes": per_host, "container_bytes": mem, "shim_bytes": shims,
                               "terminal_bytes": term_rss, "platform_bytes": platform_rss}, indent=1))
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
