"""Generate the fleet data (run: python3 generate.py): the week the candidate works on
(files/fleet, files/prices.csv) and two hidden weeks the checks run the script on
(hidden/set1, hidden/set2: other instances, other price tables).

Every instance is drawn from an archetype that one of the usual mistakes gets wrong (mean
instead of p95, memory ignored, blanks read as zero, same family only, never upsizing),
plus random ones; an instance is redrawn until every p95 convention (linear, nearest rank,
exclusive) picks the same cheapest type and the needs sit at least 3% clear of the next
type's capacity, so the checks can judge with one convention.
"""

import csv
import gzip
import importlib.util
import io
import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("rightsizing", HERE.parent / "rightsizing.py")
rs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rs)

FAMILIES = {  # family: (GiB per vCPU, $/vCPU-hour)
    "c6i": (2, 0.0425), "m6i": (4, 0.048), "r6i": (8, 0.063),
}
SIZES = {"large": 2, "xlarge": 4, "2xlarge": 8, "4xlarge": 16, "8xlarge": 32}


def price_table(families, discount=None):
    rows = []
    for fam, (gib, usd) in families.items():
        for size, vcpu in SIZES.items():
            price = usd * vcpu * (discount or {}).get(fam, 1.0)
            rows.append((f"{fam}.{size}", fam, vcpu, vcpu * gib, round(price, 4)))
    return rows


def prices_csv(rows):
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["type", "family", "vcpu", "mem_gib", "usd_per_hour"])
    w.writerows(rows)
    return out.getvalue()


def series(rnd, n, step_min, base, amp, noise, peak=None, peak_share=0.0, drift=0.0):
    """Diurnal load: base + amp * daytime bump + noise, with peaks (batch jobs) a share of the time."""
    out = []
    per_day = 24 * 60 // step_min
    for i in range(n):
        hour = (i % per_day) * 24 / per_day
        v = base + amp * max(0.0, math.sin((hour - 7) / 14 * math.pi)) + rnd.gauss(0, noise) + drift * i / n
        if peak is not None and (i % per_day) / per_day < peak_share * 0.999 + 0.0 and i % per_day >= 0:
            v = peak + rnd.gauss(0, noise)
        out.append(min(100.0, max(0.5, v)))
    return out


def shuffle_peaks(rnd, values, share, level, noise):
    """Set `share` of the samples (whole half-hours) to a peak level."""
    values = list(values)
    n = len(values)
    idx = list(range(0, n, 3))
    rnd.shuffle(idx)
    k = int(n * share / 3)
    for i in idx[:k]:
        for j in range(i, min(i + 3, n)):
            values[j] = min(100.0, max(0.5, level + rnd.gauss(0, noise)))
    return values


ARCHETYPES = {
    # name: (current types to pick from, cpu(rnd, n), mem(rnd, n), gaps share)
    "oversized-web": (["m6i.2xlarge", "m6i.4xlarge", "c6i.4xlarge"],
                      lambda r, n: series(r, n, STEP, 8, 14, 2), lambda r, n: series(r, n, STEP, 15, 3, 1), 0),
    "memory-cache": (["c6i.4xlarge", "c6i.8xlarge", "m6i.4xlarge"],
                     lambda r, n: series(r, n, STEP, 4, 3, 1), lambda r, n: series(r, n, STEP, 62, 4, 1.5), 0),
    "undersized-db": (["r6i.large", "m6i.large", "m6i.xlarge"],
                      lambda r, n: series(r, n, STEP, 55, 35, 4), lambda r, n: series(r, n, STEP, 82, 5, 2), 0),
    "spiky-batch": (["c6i.2xlarge", "c6i.4xlarge", "m6i.2xlarge"],
                    lambda r, n: shuffle_peaks(r, series(r, n, STEP, 8, 4, 2), 0.12, 70, 3),
                    lambda r, n: series(r, n, STEP, 30, 5, 2), 0),
    "gappy-peaks": (["m6i.xlarge", "m6i.2xlarge", "c6i.2xlarge"],
                    lambda r, n: shuffle_peaks(r, series(r, n, STEP, 18, 6, 2), 0.065, 88, 2),
                    lambda r, n: series(r, n, STEP, 28, 4, 2), 0.32),
    "steady-idle": (["m6i.xlarge", "c6i.xlarge", "r6i.xlarge", "m6i.large"],
                    lambda r, n: series(r, n, STEP, 3, 2, 1), lambda r, n: series(r, n, STEP, 20, 2, 1), 0.02),
}
STEP = 5


def random_profile(rnd):
    cur = rnd.choice([f"{f}.{s}" for f in FAMILIES for s in SIZES if s != "8xlarge"])
    cb, ca = rnd.uniform(3, 50), rnd.uniform(0, 40)
    mb = rnd.uniform(10, 80)
    return (cur, lambda r, n: series(r, n, STEP, cb, ca, 3),
            lambda r, n: series(r, n, STEP, mb, rnd.uniform(0, 8), 2), rnd.choice([0, 0, 0.05]))


def clear(cur, cpu, mem, types):
    """Unambiguous: all conventions agree and the needs are 3% clear of every capacity step."""
    need = rs.needs(cur, (cpu, mem), types)
    picks = {rs.cheapest(v, types)[1] for v in need.values()}
    if len(picks) != 1 or None in picks:
        return False
    caps_c = {t["vcpu"] for t in types.values()}
    caps_m = {t["mem"] for t in types.values()}
    for vc, vm in need.values():
        if any(abs(vc - c) < 0.03 * c for c in caps_c) or any(abs(vm - m) < 0.03 * m for m in caps_m):
            return False
    return True


def make_set(seed, prefix, n_random, types_rows, days=7, step=5, start="2025-06-02T00:00:00"):
    global STEP
    STEP = step
    rnd = random.Random(seed)
    types = rs.read_prices(prices_csv(types_rows))
    n = days * 24 * 60 // step
    kinds = list(ARCHETYPES) * 2 + ["random"] * n_random
    rnd.shuffle(kinds)
    fleet = []
    for _i, kind in enumerate(kinds):
        for _ in range(200):
            if kind == "random":
                cur, fc, fm, gaps = random_profile(rnd)
            else:
                curs, fc, fm, gaps = ARCHETYPES[kind]
                cur = rnd.choice(curs)
            cpu, mem = fc(rnd, n), fm(rnd, n)
            missing = set()
            if gaps:  # the agent was down for a stretch (plus a few lost samples)
                length = int(n * gaps)
                first = rnd.randrange(0, n - length)
                missing = set(range(first, first + length)) | {rnd.randrange(n) for _ in range(n // 200)}
            kept_c = [v for j, v in enumerate(cpu) if j not in missing]
            kept_m = [v for j, v in enumerate(mem) if j not in missing]
            if clear(cur, kept_c, kept_m, types):
                break
        else:
            raise SystemExit(f"could not draw a clear {kind} instance: {cur} {rs.needs(cur, (kept_c, kept_m), types)}")
        iid = f"i-{prefix}{rnd.getrandbits(40):010x}"
        role = kind if kind != "random" else rnd.choice(["api", "worker", "web", "queue", "search"])
        fleet.append((iid, cur, role, cpu, mem, missing))
    fleet.sort()
    inst = io.StringIO()
    w = csv.writer(inst, lineterminator="\n")
    w.writerow(["instance_id", "type", "role"])
    for iid, cur, role, *_ in fleet:
        w.writerow([iid, cur, role.split("-")[-1] if role != "random" else role])
    use = io.StringIO()
    w = csv.writer(use, lineterminator="\n")
    w.writerow(["timestamp", "instance_id", "cpu_pct", "mem_pct"])
    t0 = datetime.fromisoformat(start).replace(tzinfo=UTC)
    for j in range(n):
        ts = (t0 + timedelta(minutes=step * j)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for iid, _cur, _role, cpu, mem, missing in fleet:
            if j in missing:
                w.writerow([ts, iid, "", ""])
            else:
                w.writerow([ts, iid, f"{cpu[j]:.1f}", f"{mem[j]:.1f}"])
    return inst.getvalue(), use.getvalue(), prices_csv(types_rows)


def write(folder, inst, use, prices):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "instances.csv").write_text(inst)
    (folder / "utilisation.csv.gz").write_bytes(gzip.compress(use.encode(), mtime=0))
    (folder / "prices.csv").write_text(prices)


def main():
    lab = HERE.parent.parent
    write(lab / "files" / "fleet", *make_set(11, "0", 12, price_table(FAMILIES)))
    write(HERE / "set1", *make_set(22, "1", 10, price_table(FAMILIES, {"r6i": 0.85}), step=10,
                                   start="2025-09-08T00:00:00"))
    fams2 = dict(FAMILIES, m7i=(4, 0.0504), c7i=(2, 0.0446))
    write(HERE / "set2", *make_set(33, "2", 8, price_table(fams2, {"c6i": 1.3, "m6i": 1.1}), step=10,
                                   start="2025-11-03T00:00:00"))


if __name__ == "__main__":
    main()
