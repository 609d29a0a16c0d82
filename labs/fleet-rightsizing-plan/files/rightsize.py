#!/usr/bin/env python3
"""Right-size the fleet: recommend an instance type for every instance from a week of
utilisation, and what it would cost.

usage: rightsize.py --fleet DIR --prices FILE --out FILE

DIR holds instances.csv (instance_id,type,role) and utilisation.csv
(timestamp,instance_id,cpu_pct,mem_pct; one row per instance per sample).
FILE (prices) is type,family,vcpu,mem_gib,usd_per_hour.
Writes the plan as CSV:
instance_id,current_type,recommended_type,current_monthly_usd,recommended_monthly_usd
"""

import argparse
import csv
from collections import defaultdict

HEADROOM = 1.25


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fleet", required=True)
    ap.add_argument("--prices", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    with open(args.prices) as f:
        types = {r["type"]: r for r in csv.DictReader(f)}
    with open(f"{args.fleet}/instances.csv") as f:
        instances = {r["instance_id"]: r["type"] for r in csv.DictReader(f)}

    cpu = defaultdict(list)
    with open(f"{args.fleet}/utilisation.csv") as f:
        for r in csv.DictReader(f):
            cpu[r["instance_id"]].append(float(r["cpu_pct"] or 0))

    with open(args.out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["instance_id", "current_type", "recommended_type",
                    "current_monthly_usd", "recommended_monthly_usd"])
        for iid, current in sorted(instances.items()):
            cur = types[current]
            # typical load, in vCPUs, plus headroom
            used = sum(cpu[iid]) / len(cpu[iid]) / 100 * int(cur["vcpu"])
            need = used * HEADROOM
            best = current
            for name, t in types.items():
                if t["family"] != cur["family"]:
                    continue
                if int(t["vcpu"]) >= need and float(t["usd_per_hour"]) < float(types[best]["usd_per_hour"]):
                    best = name
            w.writerow([iid, current, best,
                        f"{float(cur['usd_per_hour']) * 24 * 30:.2f}",
                        f"{float(types[best]['usd_per_hour']) * 24 * 30:.2f}"])


if __name__ == "__main__":
    main()
