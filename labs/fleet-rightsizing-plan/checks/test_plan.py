"""Checks for fleet-rightsizing-plan.

The candidate's script is run in the sandbox on two hidden weeks of data (other instances,
other price tables: hidden/set1, hidden/set2, made by hidden/generate.py), and its plans are
copied out and judged on the grader's side against the grader's own computation
(rightsizing.py). The plan for the real fleet, /root/plan.csv, is judged the same way
against the lab's own copy of the data (files/), so editing the data in the sandbox does
not change the answer.
"""

import base64
import csv
import gzip
import importlib.util
import io
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("rightsizing", Path(__file__).parent / "rightsizing.py")
rs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rs)

SCRIPT = "/srv/capacity/rightsize.py"
PLAN = "/root/plan.csv"
COLUMNS = ["instance_id", "current_type", "recommended_type", "current_monthly_usd", "recommended_monthly_usd"]
SETS = ("set1", "set2")
CHUNK = 60_000


class Data:
    """One week of fleet data: the texts, and the grader's plan for it."""

    def __init__(self, folder: Path, prices: Path):
        self.instances_text = (folder / "instances.csv").read_text()
        self.usage_gz = (folder / "utilisation.csv.gz").read_bytes()
        self.prices_text = prices.read_text()
        self.types = rs.read_prices(self.prices_text)
        self.instances = rs.read_instances(self.instances_text)
        self.plan = rs.plan(self.instances, rs.read_usage(gzip.decompress(self.usage_gz).decode()), self.types)


def run_script(host, data: Data):
    """Write a hidden week into a fresh folder in the sandbox, run the script on it, return
    (result, plan text or None); the folder is removed afterwards."""
    tmp = host.run("/usr/bin/mktemp -d /var/tmp/.opslab-check.XXXXXX").stdout.strip()
    assert tmp, "the checks could not make a temporary folder in the sandbox"
    try:
        host.run("/usr/bin/mkdir -p %s/fleet", tmp)
        host.run("printf '%%s' %s > %s/fleet/instances.csv", data.instances_text, tmp)
        host.run("printf '%%s' %s > %s/prices.csv", data.prices_text, tmp)
        b64 = base64.b64encode(data.usage_gz).decode()
        for i in range(0, len(b64), CHUNK):
            host.run("printf '%%s' %s >> %s/u.b64", b64[i:i + CHUNK], tmp)
        host.run("/usr/bin/base64 -d %s/u.b64 | /usr/bin/gzip -dc > %s/fleet/utilisation.csv", tmp, tmp)
        result = host.run("cd %s && /usr/bin/timeout 60 /usr/bin/python3 %s --fleet %s/fleet --prices %s/prices.csv "
                          "--out %s/plan.csv", tmp, SCRIPT, tmp, tmp, tmp)
        plan = host.file(f"{tmp}/plan.csv")
        return result, (plan.content_string if plan.is_file else None)
    finally:
        host.run("/usr/bin/rm -rf %s", tmp)


@pytest.fixture(scope="module")
def hidden(host, lab_dir):
    """{set name: (Data, script result, plan text)}"""
    out = {}
    for name in SETS:
        folder = lab_dir / "checks" / "hidden" / name
        data = Data(folder, folder / "prices.csv")
        out[name] = (data, *run_script(host, data))
    return out


@pytest.fixture(scope="module")
def fleet(lab_dir):
    return Data(lab_dir / "files" / "fleet", lab_dir / "files" / "fleet" / "prices.csv")


def parse_plan(text, data: Data, what):
    """{instance: row} from a plan, asserting its shape."""
    rows = list(csv.reader(io.StringIO(text)))
    assert rows and [c.strip() for c in rows[0]] == COLUMNS, (
        f"{what} must start with the header line {','.join(COLUMNS)}"
    )
    plan = {}
    for row in rows[1:]:
        if not row:
            continue
        assert len(row) == len(COLUMNS), f"{what} has a line with {len(row)} fields instead of {len(COLUMNS)}"
        rec = dict(zip(COLUMNS, (c.strip() for c in row), strict=False))
        assert rec["instance_id"] not in plan, f"{what} lists instance {rec['instance_id']} twice"
        plan[rec["instance_id"]] = rec
    missing = sorted(set(data.instances) - set(plan))
    assert not missing, f"{what} has no line for {len(missing)} of the fleet's instances (e.g. {missing[0]})"
    extra = sorted(set(plan) - set(data.instances))
    assert not extra, f"{what} lists instances that are not in the fleet (e.g. {extra[0]})"
    unknown = sorted(r["recommended_type"] for r in plan.values() if r["recommended_type"] not in data.types)
    assert not unknown, f"{what} recommends a type that is not in the price table ({unknown[0]})"
    return plan


def hidden_plan(hidden, name):
    data, result, text = hidden[name]
    assert result.rc == 0 and text is not None, (
        f"`python3 {SCRIPT} --fleet DIR --prices FILE --out FILE` failed on another week of data: "
        f"{(result.stderr or result.stdout).strip().splitlines()[-1:] or 'no plan written'}"
    )
    return data, parse_plan(text, data, f"the plan {SCRIPT} wrote for another week")


def unsafe(data, plan):
    return sorted(i for i, r in plan.items() if not rs.fits(data.types[r["recommended_type"]], data.plan[i]["need"]))


def not_cheapest(data, plan):
    return sorted(i for i, r in plan.items()
                  if data.types[r["recommended_type"]]["usd"] > data.plan[i]["best_usd"] + 1e-9)


def wrong_costs(data, plan):
    bad = []
    for i, r in plan.items():
        try:
            cur, rec = float(r["current_monthly_usd"]), float(r["recommended_monthly_usd"])
        except ValueError:
            bad.append(i)
            continue
        want_cur = data.types[data.instances[i]]["usd"] * rs.HOURS_PER_MONTH
        want_rec = data.types[r["recommended_type"]]["usd"] * rs.HOURS_PER_MONTH
        if abs(cur - want_cur) > 0.011 or abs(rec - want_rec) > 0.011 or r["current_type"] != data.instances[i]:
            bad.append(i)
    return sorted(bad)


def describe(data, iid):
    return f"{iid} (on {data.instances[iid]})"


# --- plan-safe -------------------------------------------------------------------------

@pytest.mark.task("plan-safe")
@pytest.mark.parametrize("name", SETS)
def test_script_never_recommends_too_small_a_type(hidden, name):
    data, plan = hidden_plan(hidden, name)
    bad = unsafe(data, plan)
    assert not bad, (
        f"on another week of data, the script recommends {len(bad)} instances a type below their p95 "
        f"use plus 25% headroom in CPU or memory, e.g. {describe(data, bad[0])}"
    )


# --- plan-cheapest ---------------------------------------------------------------------

@pytest.mark.task("plan-cheapest")
@pytest.mark.parametrize("name", SETS)
def test_script_recommends_the_cheapest_type_that_fits(hidden, name):
    data, plan = hidden_plan(hidden, name)
    bad = not_cheapest(data, plan)
    assert not bad, (
        f"on another week of data, {len(bad)} recommendations are not the cheapest type in the price table "
        f"that covers the instance's need, e.g. {describe(data, bad[0])}"
    )


# --- costs-right -----------------------------------------------------------------------

@pytest.mark.task("costs-right")
@pytest.mark.parametrize("name", SETS)
def test_script_reports_monthly_costs(hidden, name):
    data, plan = hidden_plan(hidden, name)
    bad = wrong_costs(data, plan)
    assert not bad, (
        f"on another week of data, the current or recommended monthly cost is wrong for {len(bad)} instances, "
        f"e.g. {bad[0]} (a month is 730 hours, at the price list's hourly price)"
    )


# --- fleet-plan ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fleet_plan(host, fleet):
    f = host.file(PLAN)
    assert f.is_file, f"there is no {PLAN}"
    return parse_plan(f.content_string, fleet, PLAN)


@pytest.mark.task("fleet-plan")
def test_fleet_plan_keeps_every_instance_safe(fleet, fleet_plan):
    bad = unsafe(fleet, fleet_plan)
    assert not bad, f"{PLAN} puts {len(bad)} instances on a type below their p95 use plus headroom, e.g. {bad[0]}"


@pytest.mark.task("fleet-plan")
def test_fleet_plan_is_the_cheapest(fleet, fleet_plan):
    bad = not_cheapest(fleet, fleet_plan)
    assert not bad, f"{PLAN} leaves money on the table for {len(bad)} instances, e.g. {bad[0]}"


@pytest.mark.task("fleet-plan")
def test_fleet_plan_costs_are_right(fleet, fleet_plan):
    bad = wrong_costs(fleet, fleet_plan)
    assert not bad, f"{PLAN} has wrong monthly costs for {len(bad)} instances, e.g. {bad[0]}"
