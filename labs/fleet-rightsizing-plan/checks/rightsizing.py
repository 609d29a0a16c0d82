"""The grader's own right-sizing computation (pure Python), shared by the checks and by
hidden/generate.py, which uses it to make data sets without borderline cases.

Policy (README): an instance's need is its p95 use over the week, plus 25% headroom, for
CPU (vCPUs: cpu_pct/100 * the current type's vCPUs) and for memory (GiB, likewise). Samples
with no value are left out (the agent was down), not counted as zero. The recommendation is
the cheapest type in the price table that covers both needs. A month is 730 hours.
"""

import csv
import io
import math

HEADROOM = 1.25
HOURS_PER_MONTH = 730


def read_prices(text):
    types = {}
    for r in csv.DictReader(io.StringIO(text)):
        types[r["type"]] = {"vcpu": float(r["vcpu"]), "mem": float(r["mem_gib"]), "usd": float(r["usd_per_hour"])}
    return types


def read_instances(text):
    return {r["instance_id"]: r["type"] for r in csv.DictReader(io.StringIO(text))}


def read_usage(text):
    """{instance: (cpu samples, mem samples)}, blanks left out."""
    use = {}
    for r in csv.DictReader(io.StringIO(text)):
        cpu, mem = use.setdefault(r["instance_id"], ([], []))
        if r["cpu_pct"].strip():
            cpu.append(float(r["cpu_pct"]))
        if r["mem_pct"].strip():
            mem.append(float(r["mem_pct"]))
    return use


def percentiles(values, q=0.95):
    """p95 by the usual conventions: linear interpolation (numpy's default), nearest rank,
    and the exclusive method of Python's statistics.quantiles."""
    s = sorted(values)
    n = len(s)
    pos = (n - 1) * q
    lo = math.floor(pos)
    linear = s[lo] + (s[min(lo + 1, n - 1)] - s[lo]) * (pos - lo)
    nearest = s[max(0, math.ceil(q * n) - 1)]
    m = (n + 1) * q
    j = min(max(int(m), 1), n - 1)
    exclusive = s[j - 1] + (s[j] - s[j - 1]) * (m - int(m))
    return {"linear": linear, "nearest": nearest, "exclusive": exclusive}


def needs(current, samples, types):
    """{method: (vcpu needed, GiB needed)} for one instance."""
    cap = types[current]
    cpu, mem = samples
    pc, pm = percentiles(cpu), percentiles(mem)
    return {k: (pc[k] / 100 * cap["vcpu"] * HEADROOM, pm[k] / 100 * cap["mem"] * HEADROOM) for k in pc}


def fits(t, need):
    return t["vcpu"] >= need[0] - 1e-9 and t["mem"] >= need[1] - 1e-9


def cheapest(need, types):
    ok = [(t["usd"], name) for name, t in types.items() if fits(t, need)]
    return min(ok) if ok else (None, None)


def plan(instances, usage, types):
    """{instance: {"current", "need", "best_usd", "best"}} by the linear method."""
    out = {}
    for iid, cur in instances.items():
        need = needs(cur, usage[iid], types)["linear"]
        usd, best = cheapest(need, types)
        out[iid] = {"current": cur, "need": need, "best_usd": usd, "best": best}
    return out
