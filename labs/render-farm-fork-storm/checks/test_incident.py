"""Checks for render-farm-fork-storm: the orders API answers, the renderer works within a
worker limit (judged by rendering hidden jobs and counting its workers with ps while it does),
the backlog is rendered, and the incident note gets the facts right. The true times are
worked out from when the sandbox started (the kernel's start time of pid 1, which no one in
the sandbox can change), not from the logs the candidate could edit."""

import datetime
import hashlib
import re
import secrets
import time

import pytest

SPOOL = "/var/spool/pdf-render"
NOTE = "/root/incident.md"
# Seconds before the sandbox started (setup.sh): when each thing happened.
HANG, DOWN, ALERT = 47 * 60 + 13, 22 * 60 + 31, 19 * 60 + 2
SLACK = 150  # the note has minutes; setup runs a few seconds after the start
MAX_ALLOWED = 16
BACKLOG = range(1, 181)
WORKER = re.compile(r"^/usr/bin/flock -s /var/cache/pdf-render/fonts\.lock ")


def health(host):
    cmd = host.run("/usr/bin/curl -sS -m 5 -w '\\n%%{http_code}' %s", "http://127.0.0.1:8080/health")
    body, _, code = cmd.stdout.rpartition("\n")
    return (code if cmd.rc == 0 else "no answer"), body


def processes(host, user="app"):
    """[(pid, args)] of a user's processes, from the system's ps."""
    out = host.run("/usr/bin/ps -u %s -o pid=,args=", user).stdout
    return [(int(p), a) for p, _, a in (ln.strip().partition(" ") for ln in out.splitlines()) if p.isdigit()]


def started_at(host, pid):
    """When a process started (epoch seconds), from the kernel."""
    btime = int(re.search(r"^btime (\d+)", host.file("/proc/stat").content_string, re.MULTILINE).group(1))
    stat = host.file(f"/proc/{pid}/stat").content_string
    ticks = int(stat.rsplit(")", 1)[1].split()[19])
    return btime + ticks / 100


@pytest.fixture(scope="module")
def t0(host):
    return started_at(host, 1)


def master(host):
    ms = [pid for pid, args in processes(host) if args == "/usr/bin/python3 /usr/local/sbin/pdf-render"]
    return ms


# --- api-restored ----------------------------------------------------------------------------

@pytest.mark.task("api-restored")
def test_orders_api_answers(host):
    for _ in range(3):
        code, _ = health(host)
        assert code == "200", f"http://127.0.0.1:8080/health answers {code}, not 200"
        time.sleep(0.3)


@pytest.mark.task("api-restored")
def test_orders_api_is_the_real_service(host, snapshot, lab_dir):
    _, body = health(host)
    m = re.search(r'"pid": (\d+)', body)
    assert m and '"orders-api"' in body, "port 8080 does not answer as orders-api does"
    args = host.run("/usr/bin/ps -o user=,args= -p %s", m.group(1)).stdout.split()
    assert args[:3] == ["app", "/usr/bin/python3", "/usr/local/bin/orders-api"], (
        "port 8080 is not served by orders-api run by the app account")
    facts = snapshot("/usr/local/bin/orders-api").get("/usr/local/bin/orders-api")
    assert facts and facts[6] == hashlib.sha256((lab_dir / "files" / "orders-api").read_bytes()).hexdigest(), (
        "/usr/local/bin/orders-api is not the program as deployed")


# --- renderer-healthy ------------------------------------------------------------------------

@pytest.mark.task("renderer-healthy")
def test_hung_font_cache_rebuild_is_gone(host):
    stuck = [pid for pid, args in processes(host) if "pdf-render-fontcache" in args or "/srv/shared-fonts" in args]
    assert not stuck, f"the font cache rebuild is still running (pid {stuck[0]}), holding its lock"


@pytest.mark.task("renderer-healthy")
def test_renderer_runs(host, snapshot, lab_dir):
    ms = master(host)
    assert len(ms) == 1, f"{len(ms) or 'no'} pdf-render master processes run as app; there should be one"
    facts = snapshot("/usr/local/sbin/pdf-render").get("/usr/local/sbin/pdf-render")
    assert facts and facts[6] == hashlib.sha256((lab_dir / "files" / "pdf-render").read_bytes()).hexdigest(), (
        "/usr/local/sbin/pdf-render is not the program as deployed")


@pytest.mark.task("renderer-healthy")
def test_worker_limit_is_configured(host, copy_out):
    text = copy_out("/etc/pdf-render.conf").read_text(errors="replace")
    values = re.findall(r"^\s*MAX_WORKERS\s*=\s*(\S*)\s*$", text, re.MULTILINE)
    ok = values and values[-1].isdigit() and 1 <= int(values[-1]) <= MAX_ALLOWED
    assert ok, f"/etc/pdf-render.conf should set MAX_WORKERS to a limit between 1 and {MAX_ALLOWED}"


def expected_job(i):
    return f"id=inv-{880500 + i}\npages={1 + i % 3}\ncustomer=C{1000 + i * 7 % 9000}\n".encode()


@pytest.mark.task("renderer-healthy")
def test_backlog_is_rendered(host, copy_out):
    out = copy_out(f"{SPOOL}/out")
    missing = []
    for i in BACKLOG:
        pdf = out / f"inv-{880500 + i}.pdf"
        want = hashlib.sha256(expected_job(i)).hexdigest()
        if not pdf.is_file() or want not in pdf.read_text(errors="replace"):
            missing.append(f"inv-{880500 + i}")
    assert not missing, (
        f"{len(missing)} of the {len(BACKLOG)} invoices queued during the incident have no PDF (first: {missing[0]}); "
        "jobs a dead worker held are not lost")


@pytest.mark.task("renderer-healthy")
def test_new_invoices_render_within_the_worker_limit(host):
    # Without a renderer, or with the lock still held, nothing can render: say so at once.
    assert len(master(host)) == 1, "pdf-render is not running (one master process as app)"
    assert not [a for _, a in processes(host) if "pdf-render-fontcache" in a], (
        "the font cache rebuild still holds its lock: nothing can render")
    tag = secrets.token_hex(4)
    jobs = {f"0-check-{tag}-{n:02d}": f"id=0-check-{tag}-{n:02d}\npages=5\ncustomer=C{secrets.randbelow(9000) + 1000}\n"
            for n in range(24)}
    try:
        for name, content in jobs.items():
            host.run("/usr/bin/printf %s %s > %s && /bin/chown app:app %s && /bin/mv %s %s", "%s", content,
                     f"{SPOOL}/{name}.tmp", f"{SPOOL}/{name}.tmp", f"{SPOOL}/{name}.tmp", f"{SPOOL}/queue/{name}.job")
        most, deadline, done = 0, time.monotonic() + 30, set()
        while time.monotonic() < deadline and len(done) < len(jobs):
            most = max(most, sum(1 for _, args in processes(host) if WORKER.match(args)))
            listing = host.run("/usr/bin/find %s -name %s -printf '%%f\\n'", f"{SPOOL}/out", f"0-check-{tag}-*.pdf")
            done = {n[:-4] for n in listing.stdout.split()}
            time.sleep(0.2)
        assert len(done) == len(jobs), (
            f"{len(jobs) - len(done)} of {len(jobs)} new invoices were not rendered within 30 s")
        assert most <= MAX_ALLOWED, (
            f"{most} render workers ran at once on a burst of {len(jobs)} invoices: the renderer is not limited")
        for name, content in jobs.items():
            pdf = host.file(f"{SPOOL}/out/{name}.pdf").content_string
            assert hashlib.sha256(content.encode()).hexdigest() in pdf, "a new invoice was not rendered from its job"
    finally:
        host.run(f"/bin/rm -f {SPOOL}/0-check-{tag}-*.tmp {SPOOL}/queue/0-check-{tag}-* {SPOOL}/work/0-check-{tag}-* "
                 f"{SPOOL}/out/0-check-{tag}-*")


# --- incident-note ---------------------------------------------------------------------------

STAMP = re.compile(r"(\d{4}-\d{2}-\d{2}) (\d{2}):(\d{2}) UTC")


def when(text):
    m = STAMP.fullmatch(text.strip()) or STAMP.match(text.strip())
    if not m:
        return None
    return datetime.datetime.strptime(f"{m.group(1)} {m.group(2)}:{m.group(3)}", "%Y-%m-%d %H:%M").replace(
        tzinfo=datetime.UTC).timestamp()


@pytest.fixture(scope="module")
def note(host, copy_out):
    real = host.run("/usr/bin/readlink -e %s", NOTE).stdout.strip()
    if not real:
        return None
    try:
        text = copy_out(real).read_text(errors="replace")
    except (FileNotFoundError, IsADirectoryError):
        return None
    fields, timeline, section = {}, [], None
    for line in text.splitlines():
        if line.startswith("## "):
            section = line[3:].strip().lower()
            continue
        key, sep, value = line.partition(":")
        if section is None and sep and key.strip().lower() in (
                "severity", "started", "detected", "resolved", "trigger", "root cause"):
            fields[key.strip().lower()] = value.strip()
        if section == "timeline" and line.startswith("- "):
            timeline.append(line[2:])
    return {"fields": fields, "timeline": timeline}


def field_time(note, name):
    assert note is not None, f"there is no incident note at {NOTE} (see /root/incident.md.template)"
    value = note["fields"].get(name)
    assert value is not None, f"the incident note has no '{name.capitalize()}:' line"
    t = when(value)
    assert t is not None, f"'{name.capitalize()}:' in the incident note is not a time like 2025-01-31 23:59 UTC"
    return t


@pytest.mark.task("incident-note")
def test_note_has_every_field(note):
    assert note is not None, f"there is no incident note at {NOTE} (see /root/incident.md.template)"
    missing = [k for k in ("severity", "started", "detected", "resolved", "trigger", "root cause")
               if not note["fields"].get(k)]
    assert not missing, f"the incident note has no '{missing[0].capitalize() if missing else ''}:' line"
    assert re.fullmatch(r"SEV[123]", note["fields"]["severity"]), "Severity should be one of SEV1, SEV2, SEV3"


@pytest.mark.task("incident-note")
def test_started_is_when_customers_were_first_hit(note, t0):
    t = field_time(note, "started")
    assert abs(t - (t0 - DOWN)) <= SLACK, "Started is not when the orders API first failed to answer"


@pytest.mark.task("incident-note")
def test_detected_is_when_monitoring_alerted(note, t0):
    t = field_time(note, "detected")
    assert abs(t - (t0 - ALERT)) <= SLACK, "Detected is not when monitoring first alerted on the orders API"


@pytest.mark.task("incident-note")
def test_resolved_is_after_the_fix(note, host):
    t = field_time(note, "resolved")
    assert health(host)[0] == "200", "the note says Resolved, but the orders API does not answer"
    ms = master(host)
    assert ms, "the note says Resolved, but the renderer is not running"
    restarted = started_at(host, ms[0])
    assert restarted - SLACK <= t <= time.time() + SLACK, (
        "Resolved is not when service was restored (the renderer's restart with the fix)")


@pytest.mark.task("incident-note")
def test_trigger_names_the_change(note):
    assert note is not None, f"there is no incident note at {NOTE}"
    trigger = note["fields"].get("trigger", "").lower()
    assert "max_workers" in trigger or "worker limit" in trigger, "Trigger does not name the change that set it off"


@pytest.mark.task("incident-note")
def test_root_cause_names_the_stuck_lock(note):
    assert note is not None, f"there is no incident note at {NOTE}"
    cause = note["fields"].get("root cause", "").lower()
    assert "lock" in cause and "font" in cause, "Root cause does not say why the workers could not finish"


@pytest.mark.task("incident-note")
def test_timeline_goes_back_to_the_beginning(note, t0):
    assert note is not None, f"there is no incident note at {NOTE}"
    times = [when(e) for e in note["timeline"]]
    assert len(times) >= 3 and None not in times, (
        "the Timeline needs at least three entries, each starting with a time like 2025-01-31 23:59 UTC")
    assert times == sorted(times), "the Timeline is not in chronological order"
    assert abs(times[0] - (t0 - HANG)) <= SLACK, "the Timeline does not start with the event that began it all"
