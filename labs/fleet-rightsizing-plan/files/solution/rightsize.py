#!/usr/bin/env python3
"""Right-size the fleet: recommend an instance type for every instance from a week of
utilisation, and what it would cost.

usage: rightsize.py --fleet DIR --prices FILE --out FILE

Need = p95 of the week's samples (linear interpolation; blank samples are missing data and
left out) x the current type's capacity x 1.25 headroom, for CPU and for memory. The
recommendation is the cheapest type in the price table that covers both. A month is 730 h.
"""

import argparse
import csv
import math
import sys
from collections import defaultdict

HEADROOM = 1.25
HOURS_PER_MONTH = 730


def p95(values):
    s = sorted(values)
    pos = (len(s) - 1) * 0.95
    lo = math.floor(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fleet", required=True)
    ap.add_argument("--prices", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    with open(args.prices) as f:
        types = {r["type"]: {"vcpu": float(r["vcpu"]), "mem": float(r["mem_gib"]),
                             "usd": float(r["usd_per_hour"])} for r in csv.DictReader(f)}
    with open(f"{args.fleet}/instances.csv") as f:
        instances = {r["instance_id"]: r["type"] for r in csv.DictReader(f)}

    cpu, mem = defaultdict(list), defaultdict(list)
    with open(f"{args.fleet}/utilisation.csv") as f:
        for r in csv.DictReader(f):
            if r["cpu_pct"].strip():
                cpu[r["instance_id"]].append(float(r["cpu_pct"]))
            if r["mem_pct"].strip():
                mem[r["instance_id"]].append(float(r["mem_pct"]))

    with open(args.out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["instance_id", "current_type", "recommended_type",
                    "current_monthly_usd", "recommended_monthly_usd"])
        for iid, current in sorted(instances.items()):
            cur = types[current]
            if not cpu[iid] or not mem[iid]:
                print(f"{iid}: no utilisation data, kept on {current}", file=sys.stderr)
                best = current
            else:
                need_cpu = p95(cpu[iid]) / 100 * cur["vcpu"] * HEADROOM
                need_mem = p95(mem[iid]) / 100 * cur["mem"] * HEADROOM
                fits = [(t["usd"], name) for name, t in types.items()
                        if t["vcpu"] >= need_cpu and t["mem"] >= need_mem]
                best = min(fits)[1] if fits else max(types, key=lambda n: (types[n]["vcpu"], types[n]["mem"]))
            w.writerow([iid, current, best, f"{cur['usd'] * HOURS_PER_MONTH:.2f}",
                        f"{types[best]['usd'] * HOURS_PER_MONTH:.2f}"])


if __name__ == "__main__":
    main()
