"""Generate the hidden promtool unit tests for DiskWillFillIn4h (run: python3 generate.py).

Each scenario replays node_exporter filesystem metrics, one sample a minute, and asserts on
the ALERTS series. Quiet scenarios end with a real fill-up, so a rule that never fires
fails them too. Margins are wide: any sound rule (a trend over 30m to 6h, a for: of 5m to
30m) passes; see the comment of each scenario for the numbers.
"""

from pathlib import Path

import yaml

GI = 1 << 30
FIRING = 'ALERTS{alertname="DiskWillFillIn4h", alertstate="firing"}'


def values(phases):
    """phases: [(minutes, GiB per minute)] from a starting level; the level never goes below 0."""
    start, steps = phases[0], phases[1:]
    level, out = start * GI, [start * GI]
    for minutes, rate in steps:
        for _ in range(minutes):
            level = max(0, level + rate * GI)
            out.append(level)
    return " ".join(str(int(v)) for v in out)


def fs(instance, mountpoint, size_gib, avail_phases, fstype="ext4", device=None):
    labels = (f'instance="{instance}", job="node", device="{device or "/dev/sdb1"}", '
              f'fstype="{fstype}", mountpoint="{mountpoint}"')
    n = 1 + sum(m for m, _ in avail_phases[1:])
    return [
        {"series": f"node_filesystem_avail_bytes{{{labels}}}", "values": values(avail_phases)},
        {"series": f"node_filesystem_size_bytes{{{labels}}}", "values": f"{size_gib * GI}+0x{n - 1}"},
        {"series": f"node_filesystem_readonly{{{labels}}}", "values": f"0+0x{n - 1}"},
    ]


def firing_at(minute, labels="{}", by=""):
    expr = f"group{f' by ({by})' if by else ''}({FIRING})"
    return {"expr": expr, "eval_time": f"{minute}m", "exp_samples": [{"labels": labels, "value": 1}]}


def quiet_until(minute):
    return {"expr": f"count_over_time({FIRING}[{minute}m])", "eval_time": f"{minute}m", "exp_samples": []}


DB = ("db-1:9100", "/var/lib/postgresql")
ROOT = ("db-1:9100", "/")
WEB = ("web-1:9100", "/")
WEBLOG = ("web-1:9100", "/var/log")

SCENARIOS = {
    "fires-steady-fill": (
        "500 GiB, 300 free, flat for 2h, then -1 GiB/min (full 5h later): firing by 4h30m",
        fs(*DB, 500, [300, (120, 0), (360, -1)]) + fs(*ROOT, 40, [25, (480, 0)], device="/dev/sda1"),
        [firing_at(270)],
    ),
    "fires-one-of-many": (
        "web-1:/var/log 100 GiB free falls 0.5 GiB/min from 1h (full at 4h20m); the others steady",
        fs(*WEB, 40, [20, (300, 0)], device="/dev/sda1") + fs(*WEBLOG, 200, [100, (60, 0), (240, -0.5)])
        + fs(*DB, 500, [300, (300, 0)]) + fs(*ROOT, 40, [25, (300, 0)], device="/dev/sda1"),
        [firing_at(180, '{instance="web-1:9100", mountpoint="/var/log"}', "instance, mountpoint")],
    ),
    "quiet-steady-full": (
        "97% used and flat for 8h: quiet; then -0.1 GiB/min from 15 GiB free (full at 10h30m): firing by 9h40m",
        fs(*DB, 500, [15, (480, 0), (150, -0.1)]) + fs(*ROOT, 40, [25, (630, 0)], device="/dev/sda1"),
        [quiet_until(480), firing_at(580)],
    ),
    "quiet-slow-fill": (
        "120 GiB free falling 10 GiB/h (full in 12h): quiet for 6h (4h ahead: 20 GiB left); firing by 10h",
        fs(*DB, 500, [120, (660, -10 / 60)]),
        [quiet_until(360), firing_at(600)],
    ),
    "quiet-burst": (
        "150 GiB free; at 2h a dump writes 20 GiB in 5 min and is deleted 5 min later: quiet; "
        "then from 5h a real fill at -1 GiB/min: firing by 7h30m",
        fs(*DB, 200, [150, (120, 0), (5, -4), (5, 0), (1, 20), (169, 0), (150, -1)]),
        [quiet_until(300), firing_at(450)],
    ),
    "quiet-tmpfs": (
        "a tmpfs (/dev/shm) filling fast for 3h is not a disk: quiet; then the disk fills: firing by 7h",
        fs("db-1:9100", "/dev/shm", 16, [16, (180, -0.2), (300, 0)], fstype="tmpfs", device="tmpfs")
        + fs(*DB, 500, [300, (240, 0), (240, -1)]),
        [quiet_until(180), firing_at(420, '{mountpoint="/var/lib/postgresql"}', "mountpoint")],
    ),
    "labels": (
        "a filling disk: firing with its instance and mountpoint, and severity page",
        fs(*DB, 500, [300, (60, 0), (300, -1)]),
        [firing_at(240, '{instance="db-1:9100", mountpoint="/var/lib/postgresql", severity="page"}',
                   "instance, mountpoint, severity")],
    ),
}


INCIDENT_HEAD = """# INC-2318, replayed: node_exporter's filesystem metrics from db-1 and web-1, one sample a
# minute from 20:00 (0m) to 04:40 (520m).
#  - db-1 /var/lib/postgresql: WAL archiving broke at 22:10; the disk was full at 04:10.
#  - db-1 /dev/shm: the usual tmpfs churn.  web-1 /: the nightly dump at 23:00, deleted 23:10.
# What should have happened: DiskWillFillIn4h paging for db-1's /var/lib/postgresql by 01:00
# (300m), nothing for web-1 all night.
# Run: promtool test rules /root/inc-2318.test.yml
"""


def incident():
    """The replay of last night that the candidate gets (files/inc-2318.test.yml)."""
    series = (fs(*DB, 500, [180, (130, 0), (390, -0.5)])
              + fs(*ROOT, 40, [22, (520, 0)], device="/dev/sda1")
              + fs("db-1:9100", "/dev/shm", 8, [8, (200, 0), (60, -0.1), (260, 0)], fstype="tmpfs", device="tmpfs")
              + fs(*WEB, 40, [18, (180, 0), (6, -1), (4, 0), (1, 6), (329, 0)], device="/dev/sda1"))
    web = FIRING[:-1] + ', instance="web-1:9100"}'
    tests = [
        firing_at(300, '{instance="db-1:9100", mountpoint="/var/lib/postgresql"}', "instance, mountpoint"),
        {"expr": f"count_over_time({web}[520m])", "eval_time": "520m", "exp_samples": []},
    ]
    doc = {"rule_files": ["/etc/prometheus/rules/node.rules.yml"], "evaluation_interval": "1m",
           "tests": [{"interval": "1m", "input_series": series, "promql_expr_test": tests}]}
    return INCIDENT_HEAD + yaml.safe_dump(doc, sort_keys=False, width=100000)


def main():
    here = Path(__file__).parent
    (here.parent.parent / "files" / "inc-2318.test.yml").write_text(incident())
    for name, (about, series, tests) in SCENARIOS.items():
        doc = {"rule_files": ["rules.yml"], "evaluation_interval": "1m",
               "tests": [{"interval": "1m", "input_series": series, "promql_expr_test": tests}]}
        text = f"# {about}\n# Generated by generate.py: edit that, not this file.\n"
        text += yaml.safe_dump(doc, sort_keys=False, width=100000)
        (here / f"{name}.yml").write_text(text)


if __name__ == "__main__":
    main()
