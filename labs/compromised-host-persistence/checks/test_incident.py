"""Checks for compromised-host-persistence: the backdoor is down and stays down, every way
back in is closed, the evidence is where it was, byte for byte, and the billing API still
serves. Files are copied out through the engine and judged here; processes and sockets are
read with the system's own ps and ss (the grader refuses them if they were replaced)."""

import hashlib
import re
import time

import pytest

DROP = "/var/tmp/.ICE-unix/.x"
DROPPED = ["kworkerd", "watchdog.sh"]
DISGUISES = ("[kworker/1:3]", "[kswapd1]")   # no kernel thread shows in a sandbox's ps
BACKDOOR_PORT = 4444
EVIL_KEY = "AAAAC3NzaC1lZDI1NTE5AAAAIGAQ3mDjlg3nSisLCO9lILP1uAQZGdglJgUFPHpxHBWF"
ALICE_KEY = "AAAAC3NzaC1lZDI1NTE5AAAAIDwU2HIQQi4KDxT9GX7iqLswEnqtI0mqZlVa44HSf7rD"
CI_KEY = "AAAAC3NzaC1lZDI1NTE5AAAAIKyEdSoWYCdkhfUSQEA784Hh41FvArIhnmdTc00WNTTa"
BREACHED_HASH = "$6$Kp2x9QvTr7mWq1Zs$iIqoxnjti/8X2HGd/Yg9K/PMNQuKnqFXmLrA4SfjoPxhDDKi8y4FattfXgde660tiSOtL0zuBRqCIo4SNzm8Y."
LEGIT_JOBS = {
    "/var/spool/cron/crontabs/root": ["30 3 * * * /usr/local/sbin/billing-backup >/var/log/billing/backup.log 2>&1"],
    "/etc/cron.d/billing-smoke": ["0 6 * * * billing /usr/bin/curl -fsS -o /dev/null http://127.0.0.1:8080/health"],
}
# What the image's packages schedule: kept if a candidate edits these files.
PACKAGED_JOBS = {
    "/etc/crontab": [
        "17 * * * * root cd / && run-parts --report /etc/cron.hourly",
        "25 6 * * * root test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }",
        "47 6 * * 7 root test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.weekly; }",
        "52 6 1 * * root test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.monthly; }"],
    "/etc/cron.d/e2scrub_all": [
        "30 3 * * 0 root test -e /run/systemd/system || SERVICE_MODE=1 /usr/lib/x86_64-linux-gnu/e2fsprogs/e2scrub_all_cron",
        "10 3 * * * root test -e /run/systemd/system || SERVICE_MODE=1 /sbin/e2scrub_all -A -r"],
}
CRON_NAME = re.compile(r"^[A-Za-z0-9_-]+$")  # Debian's cron skips other names in /etc/cron.d
ENV_LINE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\s*=")


def text(host, copy_out, path):
    """A file's text copied out through the engine (links resolved in the sandbox), or None."""
    real = host.run("/usr/bin/readlink -e %s", path).stdout.strip()
    if not real:
        return None
    try:
        f = copy_out(real)
    except FileNotFoundError:
        return None
    return f.read_text(errors="replace") if f.is_file() else None


def listing(host, folder):
    return [n for n in host.run("/usr/bin/find %s -mindepth 1 -maxdepth 1 -printf '%%f\\n'", folder).stdout.split("\n") if n]


def jobs(content):
    """The active job lines of a crontab, whitespace normalised."""
    out = []
    for line in (content or "").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and not ENV_LINE.match(line):
            out.append(" ".join(line.split()))
    return out


def attacker_processes(host):
    """[pid, ...] of processes running the dropped programs (under whatever name), not of
    someone reading them with less or grep."""
    found = []
    for line in host.run("/usr/bin/ps -eo pid=,args=").stdout.splitlines():
        pid, *words = line.split()
        if not words:
            continue
        program = words[1] if len(words) > 1 and re.search(r"(^|/)(python3?[.0-9]*|bash|sh|dash)$", words[0]) else words[0]
        if words[0] in DISGUISES or program.startswith(DROP) or program.startswith("/var/tmp/.ICE-unix"):
            found.append(pid)
    return found


def listening_ports(host):
    out = host.run("/usr/bin/ss -Hltn").stdout
    return {int(m) for m in re.findall(r"^\S+\s+\S+\s+\S+\s+\S*:(\d+)\s", out, re.MULTILINE)}


# --- implant-stopped -----------------------------------------------------------------------

@pytest.mark.task("implant-stopped")
def test_backdoor_port_is_closed(host):
    assert BACKDOOR_PORT not in listening_ports(host), f"something still listens on port {BACKDOOR_PORT}"


@pytest.mark.task("implant-stopped")
def test_no_attacker_process_runs(host):
    procs = attacker_processes(host)
    assert not procs, f"the intruder's code is still running (pid {', '.join(procs[:5])})"


@pytest.mark.task("implant-stopped")
def test_it_stays_down(host):
    time.sleep(4)  # longer than the watchdog's respawn interval
    procs = attacker_processes(host)
    assert not procs and BACKDOOR_PORT not in listening_ports(host), (
        "a few seconds later the backdoor is back: something restarts it")


# --- persistence-removed -------------------------------------------------------------------

@pytest.fixture(scope="module")
def crontabs(host, copy_out):
    """{path: text} of every crontab cron reads."""
    tabs = {"/etc/crontab": text(host, copy_out, "/etc/crontab")}
    for name in listing(host, "/etc/cron.d"):
        if CRON_NAME.match(name):
            tabs[f"/etc/cron.d/{name}"] = text(host, copy_out, f"/etc/cron.d/{name}")
    for name in listing(host, "/var/spool/cron/crontabs"):
        tabs[f"/var/spool/cron/crontabs/{name}"] = text(host, copy_out, f"/var/spool/cron/crontabs/{name}")
    return tabs


@pytest.mark.task("persistence-removed")
def test_no_cron_job_of_the_intruder_is_left(crontabs, modified):
    for path, content in crontabs.items():
        if path not in LEGIT_JOBS and not modified(path):
            continue  # as the image has it
        allowed = LEGIT_JOBS.get(path, []) + PACKAGED_JOBS.get(path, [])
        extra = [j for j in jobs(content) if j not in allowed]
        assert not extra, f"cron still runs a job the intruder added ({path})"


@pytest.mark.task("persistence-removed")
def test_legitimate_cron_jobs_are_kept(crontabs):
    for path, wanted in LEGIT_JOBS.items():
        assert all(j in jobs(crontabs.get(path)) for j in wanted), (
            f"a legitimate cron job is gone ({path}); remove only what the intruder added")


@pytest.mark.task("persistence-removed")
def test_login_shells_do_not_start_it(host, copy_out):
    files = ["/etc/profile", "/etc/bash.bashrc", "/etc/environment", "/root/.bashrc", "/root/.profile",
             "/root/.bash_profile", "/root/.bash_login"]
    files += [f"/etc/profile.d/{n}" for n in listing(host, "/etc/profile.d") if n.endswith(".sh")]
    for home in ["/home/alice", "/home/deploy"]:
        files += [f"{home}/.bashrc", f"{home}/.profile", f"{home}/.bash_profile", f"{home}/.bash_login"]
    for path in files:
        content = text(host, copy_out, path) or ""
        assert ".ICE-unix" not in content and "watchdog" not in content, (
            f"a login shell still starts the intruder's code ({path})")


@pytest.mark.task("persistence-removed")
def test_billing_init_script_is_clean(host, copy_out, lab_dir):
    def active(t):
        return [ln.strip() for ln in t.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    content = text(host, copy_out, "/etc/init.d/billing-api")
    assert content is not None, "/etc/init.d/billing-api is gone: the billing API could not be restarted"
    original = (lab_dir / "files" / "billing-api.init").read_text()
    assert active(content) == active(original), (
        "/etc/init.d/billing-api is not back to what it was before the intrusion")


# --- access-revoked ------------------------------------------------------------------------

def key_files(host):
    homes = ["/root"] + [f"/home/{n}" for n in listing(host, "/home")]
    return [f"{h}/.ssh/{n}" for h in homes for n in ("authorized_keys", "authorized_keys2")]


@pytest.mark.task("access-revoked")
def test_intruders_key_is_removed(host, copy_out):
    for path in key_files(host):
        assert EVIL_KEY not in (text(host, copy_out, path) or ""), f"the intruder's SSH key is still in {path}"


@pytest.mark.task("access-revoked")
def test_team_keys_are_kept(host, copy_out):
    root = text(host, copy_out, "/root/.ssh/authorized_keys") or ""
    deploy = text(host, copy_out, "/home/deploy/.ssh/authorized_keys") or ""
    assert ALICE_KEY in root and CI_KEY in deploy, (
        "a legitimate SSH key is gone: the admins and the CI pipeline must still get in")


@pytest.fixture(scope="module")
def accounts(host, copy_out):
    passwd = [ln.split(":") for ln in (text(host, copy_out, "/etc/passwd") or "").splitlines() if ln.count(":") >= 6]
    shadow = {f[0]: f[1] for f in (ln.split(":") for ln in (text(host, copy_out, "/etc/shadow") or "").splitlines())
              if len(f) > 1}
    return passwd, shadow


@pytest.mark.task("access-revoked")
def test_root_is_the_only_uid_0_account(accounts):
    passwd, _ = accounts
    others = [f[0] for f in passwd if f[2] == "0" and f[0] != "root"]
    assert not others, f"{', '.join(others)} has uid 0: a second root account"


@pytest.mark.task("access-revoked")
def test_backdoor_account_cannot_log_in(accounts):
    passwd, shadow = accounts
    if any(f[0] == "systemd-netd" for f in passwd):
        pw = shadow.get("systemd-netd", "")
        assert pw.startswith(("!", "*")), "the account the intruder created can still log in with its password"


@pytest.mark.task("access-revoked")
def test_guessed_password_no_longer_works(accounts):
    passwd, shadow = accounts
    assert any(f[0] == "deploy" for f in passwd), "the deploy account is gone: CI deploys with it"
    pw = shadow.get("deploy", "")
    assert pw and pw != BREACHED_HASH, "deploy can still log in with the password the intruder guessed"


# --- evidence-preserved --------------------------------------------------------------------

@pytest.mark.task("evidence-preserved")
@pytest.mark.task("service-intact")
def test_the_intrusion_is_contained(host):
    # Evidence kept and a service up count once the backdoor is down: doing nothing keeps both.
    assert not attacker_processes(host) and BACKDOOR_PORT not in listening_ports(host), (
        "the backdoor is still running: contain the intrusion first")


@pytest.mark.task("evidence-preserved")
def test_dropped_programs_are_kept_as_found(snapshot, lab_dir):
    snap = snapshot(DROP)
    for name in DROPPED:
        facts = snap.get(f"{DROP}/{name}")
        want = hashlib.sha256((lab_dir / "files" / name).read_bytes()).hexdigest()
        assert facts is not None and facts[0] == "file", (
            f"a program the intruder dropped is gone from {DROP}; evidence stays where it was found")
        assert facts[6] == want, f"a program the intruder dropped in {DROP} was changed; evidence stays byte for byte"


@pytest.mark.task("evidence-preserved")
def test_auth_log_is_kept_as_found(snapshot, lab_dir):
    facts = snapshot("/var/log/auth.log").get("/var/log/auth.log")
    want = hashlib.sha256((lab_dir / "files" / "auth.log").read_bytes()).hexdigest()
    assert facts is not None and facts[0] == "file" and facts[6] == want, (
        "/var/log/auth.log was changed or removed: it is the record of the intrusion")


# --- service-intact ------------------------------------------------------------------------

@pytest.mark.task("service-intact")
def test_billing_api_answers(host):
    cmd = host.run("/usr/bin/curl -sS -m 5 -w '\\n%%{http_code}' %s", "http://127.0.0.1:8080/health")
    body, _, code = cmd.stdout.rpartition("\n")
    assert cmd.rc == 0 and code == "200" and '"billing-api"' in body, (
        "http://127.0.0.1:8080/health does not answer 200 from the billing API")


@pytest.mark.task("service-intact")
def test_billing_api_is_the_real_app(host, snapshot, lab_dir):
    # root cannot see another user's sockets in ss (no ptrace capability); the API names its
    # own pid, and ps says what that process is.
    cmd = host.run("/usr/bin/curl -sS -m 5 %s", "http://127.0.0.1:8080/health")
    m = re.search(r'"pid": (\d+)', cmd.stdout)
    assert m, "http://127.0.0.1:8080/health does not answer as the billing API does"
    args = host.run("/usr/bin/ps -o user=,args= -p %s", m.group(1)).stdout.split()
    assert args[:3] == ["billing", "/usr/bin/python3", "/opt/billing/app.py"], (
        "port 8080 is not served by the billing API (/opt/billing/app.py run by billing)")
    facts = snapshot("/opt/billing/app.py").get("/opt/billing/app.py")
    assert facts and facts[6] == hashlib.sha256((lab_dir / "files" / "app.py").read_bytes()).hexdigest(), (
        "/opt/billing/app.py is not the billing API as deployed")
