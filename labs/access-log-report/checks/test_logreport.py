"""Checks for access-log-report: the candidate's logreport runs, as cron would run it (user
reports, an empty environment), on logs it has never seen, made afresh for every grading:
folder names with spaces, brackets and accents, rotated .gz files, an empty file, bad lines
and bad bytes, a file too big to read into memory at once, paths that cannot be read. Every
answer is worked out here, on the grader's side, from the same bytes."""

import base64
import datetime
import gzip
import io
import json
import math
import random
import re
import secrets
import tarfile

import pytest

TOOL = "/usr/local/bin/logreport"
RUN_AS = "/usr/bin/setpriv --reuid=reports --regid=reports --init-groups"
ENV = "/usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin"
TIMEOUT = 30
LINE = re.compile(rb'^(\S+) - (\S+) \[([^\]]*)\] "([^"]*)" (\d{3}) (\d+|-) "([^"]*)" "([^"]*)" (\d+\.\d+)$')
UAS = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
       "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
       "Prometheus/2.45.0", "kube-probe/1.30", "python-requests/2.31.0", "Mozilla/5.0 (Linux; Android 14; Pixel 8) \u2026"]


# --- the grader's own reading of the specification ---------------------------------------

def expected(files, top=5):
    """The report for these files' bytes (in any order), per the README."""
    rep = {"files": len(files), "requests": 0, "bad_lines": 0, "bytes": 0,
           "status": {"2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0}}
    paths, times = {}, []
    for data in files:
        for raw in data.split(b"\n"):
            if not raw:
                continue
            m = LINE.match(raw)
            if not m or not 100 <= int(m.group(5)) <= 599:
                rep["bad_lines"] += 1
                continue
            rep["requests"] += 1
            cls = m.group(5).decode()[0] + "xx"
            rep["status"][cls] = rep["status"].get(cls, 0) + 1
            rep["bytes"] += 0 if m.group(6) == b"-" else int(m.group(6))
            times.append(float(m.group(9)))
            words = m.group(4).split(b" ")
            if len(words) == 3:
                p = words[1].split(b"?")[0].decode("utf-8", "replace")
                paths[p] = paths.get(p, 0) + 1
    rep["top_paths"] = [[p, n] for p, n in sorted(paths.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]
    times.sort()
    rep["p95_request_time"] = times[math.ceil(0.95 * len(times)) - 1] if times else None
    return rep


# --- hidden logs ----------------------------------------------------------------------------

class Logs:
    def __init__(self, rng):
        self.rng = rng
        self.t = datetime.datetime(2025, 9, rng.randint(1, 28), rng.randint(0, 23), 0, tzinfo=datetime.UTC)

    def line(self, path, status=None, size=None, request=None, ua=None):
        r = self.rng
        self.t += datetime.timedelta(seconds=r.randint(0, 2))
        status = status or r.choices([200, 201, 204, 301, 302, 304, 400, 403, 404, 429, 500, 502, 503, 504],
                                     [60, 4, 3, 2, 3, 6, 2, 1, 7, 2, 3, 3, 2, 2])[0]
        size = size if size is not None else (0 if status in (204, 304) else r.randint(0, 250000))
        request = request or f"{r.choice(['GET'] * 6 + ['POST', 'PUT', 'HEAD'])} {path} HTTP/{r.choice(['1.1', '2.0'])}"
        return (f'172.{r.randint(16, 31)}.{r.randint(0, 255)}.{r.randint(1, 254)} - {r.choice(["-", "-", "svc-batch"])} '
                f'[{self.t:%d/%b/%Y:%H:%M:%S} +0000] "{request}" {status} {size} '
                f'"{r.choice(["-", "https://shop.acme.example/"])}" "{ua or r.choice(UAS)}" '
                f'{r.randint(0, 4000) / 1000:.3f}\n').encode()

    def traffic(self):
        """Lines whose top paths are known ahead: clear leaders, then a tie across the cut-off
        whose order by count alone would be the reverse of the order by path."""
        r = self.rng
        n = r.randint(3, 9)
        counts = {f"/api/v{n}/orders": 180 + r.randint(0, 20), "/static/bundle.js": 140 + r.randint(0, 10),
                  "/": 110 + r.randint(0, 10)}
        tied = 60 + r.randint(0, 15)
        for p in ("/search", "/checkout", "/cart"):  # listed first, but sort last among equals
            counts[p] = tied
        for i in range(25):
            counts[f"/img/p/{r.randint(1000, 9999)}-{i}.webp"] = r.randint(1, 20)
        lines = []
        for p, c in counts.items():
            for _ in range(c):
                q = r.choice(["", "", "", f"?page={r.randint(1, 9)}", f"?q=a%20b&utm={r.randint(1, 99)}"])
                lines.append(self.line(p + q))
        r.shuffle(lines)
        return lines


def split(lines, n, rng):
    cuts = sorted(rng.sample(range(1, len(lines)), n - 1))
    return [b"".join(lines[a:b]) for a, b in zip([0] + cuts, cuts + [len(lines)], strict=True)]


def gz(data):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as f:
        f.write(data)
    return buf.getvalue()


@pytest.fixture(scope="module")
def runs(host):
    """Make the hidden logs in a fresh folder of the sandbox, run logreport on them the way
    cron would, and return {case: (rc, stdout, stderr, expected report)}."""
    rng = random.Random(secrets.randbits(64))
    logs = Logs(rng)
    top = rng.choice([3, 4])

    # Case "fleet": a folder with rotated files (two gzipped) plus a lone file elsewhere.
    fleet = split(logs.traffic(), 5, rng)
    eu = f"edge [eu-west-{rng.randint(1, 3)}] *01*"
    single = "caf\u00e9 m\u00fcller/\u00e9dge-02 access.log"
    tree = {f"{eu}/access.log": fleet[0], f"{eu}/access.log.1": fleet[1], f"{eu}/access.log.2.gz": gz(fleet[2]),
            f"{eu}/access.log.3.gz": gz(fleet[3]),
            f"{eu}/error.log": b'2025/09/02 03:11:09 [error] 77#77: *1 open() "/srv/x" failed (2: No such file)\n',
            f"{eu}/access.log.d/README": b"not a log\n",
            single: fleet[4]}
    fleet_files = [fleet[0], fleet[1], fleet[2], fleet[3]]

    # Case "messy": an empty live file, bad lines and bad bytes, a big file built in the sandbox.
    bad = [b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\xff\xfe",       # TLS on the HTTP port
           logs.line("/truncated")[:57].rstrip(b"\n"),                        # cut off mid-line
           logs.line("/status-out-of-range", status=999).rstrip(b"\n"),
           logs.line("/no-time").rsplit(b" ", 1)[0],
           b'GET /wp-login.php HTTP/1.1" 404 0 "-" "-" 0.001']
    odd_ok = [logs.line("/", status=400, size=0, request="-"),                  # no request line at all
              logs.line("/", status=400, request="GET /a b HTTP/1.1"),          # four words: no path to count
              logs.line("/dash-bytes", status=304).replace(b" 304 0 ", b" 304 - "),
              logs.line("/api/v2/ok", ua="Mozilla/5.0 (compatible; Xpfel-Bot)").replace(b"Xpfel", b"\xc4pfel")]
    messy_lines = logs.traffic()[:400] + [b + b"\n" for b in bad] + odd_ok + [b"\n", b"\n"]
    rng.shuffle(messy_lines)
    messy_1 = b"".join(messy_lines).rstrip(b"\n")  # the last line has no newline
    block = b"".join(logs.traffic()[:2000])
    repeat = rng.randint(60, 80)  # ~25-35 MB once built
    night = f"night shift {rng.randint(10, 99)}"
    tree.update({f"{night}/access.log": b"", f"{night}/access.log.1": messy_1,
                 f"{night}/access.log.2.gz": gz(b""), f"{night}/big.block": block})

    # Case "errors": one good file, one that does not exist, one reports may not read.
    locked = f"secure/access.log.{rng.randint(1, 9)}"
    tree[locked] = logs.line("/locked")
    missing = f"gone {rng.randint(100, 999)}/access.log"

    work = host.run('d=$(/usr/bin/mktemp -d /var/tmp/opslab-logreport.XXXXXX) && /bin/chmod 0755 "$d" && echo "$d"').stdout.strip()
    assert work.startswith("/var/tmp/opslab-logreport."), "the grader could not make its test folder"
    try:
        upload(host, work, tree, locked)
        host.run("cd %s && for i in $(/usr/bin/seq %s); do /bin/cat %s; done > %s && /bin/rm %s", work,
                 str(repeat), f"{night}/big.block", f"{night}/access.log.3", f"{night}/big.block")
        cases = {
            "fleet": ([f"--top={top}", eu, single], expected(fleet_files + [fleet[4]], top)),
            "messy": ([night], expected([b"", messy_1, b"", block * repeat])),
            "errors": ([single, missing, locked], expected([fleet[4]])),
            "no-args": ([], None),
            "top-zero": (["--top", "0", eu], None),
            "top-word": (["--top", "ten", eu], None),
        }
        out = {}
        for name, (args, want) in cases.items():
            cmd = host.run(f"cd %s && {RUN_AS} {ENV} /usr/bin/timeout {TIMEOUT} {TOOL}" + " %s" * len(args),
                           work, *args)
            out[name] = (cmd.rc, cmd.stdout, cmd.stderr, want)
        out["_names"] = {"missing": missing, "locked": locked}
        return out
    finally:
        host.run("/bin/rm -rf %s", work)


def upload(host, work, tree, locked):
    """Ship the files as a tar (root's, readable by all but `locked`) through base64 chunks."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        dirs = sorted({"/".join(p.split("/")[:i]) for p in tree for i in range(1, p.count("/") + 1)})
        for d in dirs:
            info = tarfile.TarInfo(d)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        for path, data in tree.items():
            info = tarfile.TarInfo(path)
            info.size, info.mode = len(data), 0o600 if path == locked else 0o644
            tar.addfile(info, io.BytesIO(data))
    blob = base64.b64encode(buf.getvalue()).decode()
    lines = [blob[j:j + 76] for j in range(0, len(blob), 76)]
    for i in range(0, len(lines), 780):
        # in lines, as base64 usually is: one long bare word would make the grader's tool
        # check look for a file of that name
        chunk = "\n".join(lines[i:i + 780])
        host.run("/usr/bin/printf '%%s\n' %s >> %s", chunk, f"{work}/.upload")
    cmd = host.run("cd %s && /usr/bin/base64 -d .upload | /usr/bin/tar -xzf - --no-same-owner && /bin/rm .upload", work)
    assert cmd.rc == 0, "the grader could not unpack its test logs"


def report_of(runs, case):
    """The JSON report logreport printed for a case, or an assertion saying what went wrong."""
    rc, stdout, stderr, _ = runs[case]
    assert rc != 124, f"logreport did not finish within {TIMEOUT} s"
    try:
        rep = json.loads(stdout)
    except ValueError:
        raise AssertionError(f"logreport (exit {rc}) did not print one JSON report on stdout") from None
    assert isinstance(rep, dict), "logreport's report should be a JSON object"
    return rep


def fleet_report(runs):
    rc = runs["fleet"][0]
    rep = report_of(runs, "fleet")
    assert rc == 0, f"logreport exits {rc} on readable logs"
    return rep, runs["fleet"][3]


# --- report-correct ---------------------------------------------------------------------

@pytest.mark.task("report-correct")
def test_every_log_file_is_read(runs):
    rep, want = fleet_report(runs)
    assert rep.get("files") == want["files"], (
        "\"files\" does not count the log files read: a folder means its access.log* files, rotated .gz ones "
        "included, whatever the folder is called")


@pytest.mark.task("report-correct")
def test_requests_are_counted(runs):
    rep, want = fleet_report(runs)
    assert rep.get("requests") == want["requests"], "\"requests\" is wrong on a folder of rotated logs plus a single file"


@pytest.mark.task("report-correct")
def test_bytes_are_summed(runs):
    rep, want = fleet_report(runs)
    assert rep.get("bytes") == want["bytes"], "\"bytes\" is wrong on a folder of rotated logs plus a single file"


@pytest.mark.task("report-correct")
def test_status_classes_are_counted(runs):
    rep, want = fleet_report(runs)
    assert rep.get("status") == want["status"], "\"status\" is wrong on a folder of rotated logs plus a single file"


# --- top-and-latency ------------------------------------------------------------------------

@pytest.mark.task("top-and-latency")
def test_top_paths_are_ranked(runs):
    rep, want = fleet_report(runs)
    got = rep.get("top_paths")
    assert isinstance(got, list) and [list(x) if isinstance(x, list) else x for x in got] == want["top_paths"], (
        "\"top_paths\" is wrong: check the query strings, the --top limit and the order of paths with equal counts")


@pytest.mark.task("top-and-latency")
def test_p95_request_time_is_the_nearest_rank(runs):
    rep, want = fleet_report(runs)
    got = rep.get("p95_request_time")
    assert isinstance(got, (int, float)) and not isinstance(got, bool) and abs(got - want["p95_request_time"]) < 1e-9, (
        "\"p95_request_time\" is not the nearest-rank 95th percentile of the request times")


# --- messy-input ---------------------------------------------------------------------------

@pytest.mark.task("messy-input")
def test_messy_logs_are_reported_with_exit_0(runs):
    rc, _, stderr, _ = runs["messy"]
    report_of(runs, "messy")
    assert rc == 0, f"logreport exits {rc} on a folder of readable but messy logs"


@pytest.mark.task("messy-input")
def test_bad_lines_are_counted_not_fatal(runs):
    rep = report_of(runs, "messy")
    assert rep.get("bad_lines") == runs["messy"][3]["bad_lines"], (
        "\"bad_lines\" is wrong: count every non-blank line that is not a well-formed entry, and nothing else")


@pytest.mark.task("messy-input")
def test_messy_logs_are_totalled(runs):
    rep, want = report_of(runs, "messy"), runs["messy"][3]
    same = all(rep.get(k) == want[k] for k in ("files", "requests", "bytes", "status"))
    assert same, (
        "on messy logs (empty files, bad bytes, odd but well-formed entries, a large file) the totals are wrong")


@pytest.mark.task("messy-input")
def test_messy_logs_rank_and_time(runs):
    rep, want = report_of(runs, "messy"), runs["messy"][3]
    got = rep.get("p95_request_time")
    assert rep.get("top_paths") == want["top_paths"] and isinstance(got, (int, float)) and abs(
        got - want["p95_request_time"]) < 1e-9, "on messy logs top_paths or p95_request_time is wrong"


# --- exit-codes -----------------------------------------------------------------------------

@pytest.mark.task("exit-codes")
def test_unreadable_paths_exit_1(runs):
    rc = runs["errors"][0]
    assert rc != 124, f"logreport did not finish within {TIMEOUT} s"
    assert rc == 1, f"logreport exits {rc} when a path does not exist or cannot be read; expected 1"


@pytest.mark.task("exit-codes")
def test_unreadable_paths_are_named_on_stderr(runs):
    stderr, names = runs["errors"][2], runs["_names"]
    for what in ("missing", "locked"):
        assert names[what] in stderr, f"stderr does not name the {what} path that could not be read"


@pytest.mark.task("exit-codes")
def test_the_rest_is_still_reported(runs):
    rep, want = report_of(runs, "errors"), runs["errors"][3]
    assert all(rep.get(k) == want[k] for k in want), (
        "when a path cannot be read, the report must still cover the paths that could (and only those)")


@pytest.mark.task("exit-codes")
def test_usage_errors_exit_2_without_a_report(runs):
    for case, what in (("no-args", "no PATH"), ("top-zero", "--top 0"), ("top-word", "--top ten")):
        rc, stdout, _, _ = runs[case]
        assert rc == 2 and not stdout.strip(), f"with {what}, logreport should exit 2 and print no report (exit {rc})"
