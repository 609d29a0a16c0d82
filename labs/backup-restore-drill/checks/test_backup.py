"""Checks for backup-restore-drill: a restore drill, run by the check itself.

At grade time the check writes files nobody has seen into both data sets, runs the nightly job
the way cron would, restores the job's snapshot into a scratch folder with the system's own
restic (by absolute path) and compares it, file by file, with the data setup planted (hashed
on the grader's side from the lab's files) and with the new files. For retention it adds two
snapshots dated in the past to the job's own snapshot group, runs the job again and sees which
survive. Everything it added is forgotten and removed again at the end.
"""

import datetime
import hashlib
import json
import re
import secrets

import pytest

JOB = "/usr/local/sbin/backup-nightly"
REPO_ENV = "RESTIC_REPOSITORY=/backup/restic RESTIC_PASSWORD_FILE=/etc/backup/restic.pass"
RESTIC = f"/usr/bin/env {REPO_ENV} /usr/bin/restic"
# cron runs jobs with this environment (Debian cron: no profile, a minimal PATH)
AS_CRON = "/usr/bin/env -i HOME=/root LOGNAME=root SHELL=/bin/sh PATH=/usr/bin:/bin /usr/bin/timeout 100"
CRON_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


def snapshots(host):
    cmd = host.run(f"{RESTIC} snapshots --json --no-lock")
    try:
        return {s["id"]: s for s in json.loads(cmd.stdout)} if cmd.rc == 0 else None
    except ValueError:
        return None


def newest(snaps, ids):
    return max(ids, key=lambda i: snaps[i]["time"]) if ids else None


@pytest.fixture(scope="module")
def drill(host):
    """Run the drill once for every check of this module; {fact: value}."""
    facts = {"files": {}, "restored": {}}
    token = secrets.token_hex(6)
    drill_files = {f"/srv/data/finance/2024/drill-{token}.csv": f"date,account,amount_eur\ntoday,QA{token},1.00\n",
                   f"/var/lib/wiki/pages/Drill-{token}.md": f"# Restore drill {token}\n\n{secrets.token_hex(16)}\n"}
    facts["files"] = drill_files
    added, scratch = set(), None
    try:
        for path, body in drill_files.items():
            host.run("/usr/bin/printf '%%s' %s > %s", body, path)
        host.run(f"{RESTIC} unlock")  # locks left by a run that was cut short (stale ones only)
        before = snapshots(host)
        facts["repo_ok"] = before is not None
        if before is None:
            return facts
        job = host.run(f"{AS_CRON} {JOB}")
        facts["job_rc"], facts["job_err"] = job.rc, job.stderr.strip()[-300:]
        after = snapshots(host) or {}
        first = newest(after, set(after) - set(before))
        added |= set(after) - set(before)
        facts["first"] = first
        if not first:
            return facts

        # Retention: two snapshots dated in the past, in the job's own group, then the job again.
        snap, now = after[first], datetime.datetime.now(datetime.UTC)
        tags = "".join(f" --tag {t}" for t in snap.get("tags") or [] if re.fullmatch(r"[\w.-]+", t))
        planted = {}
        for label, days in (("recent", 3), ("old", 40)):
            when = (now - datetime.timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")
            ids_before = set(snapshots(host) or {})
            host.run(f"{RESTIC} backup --quiet --host %s --time %s{tags} " + " ".join(["%s"] * len(snap["paths"])),
                     snap["hostname"], when, *snap["paths"])
            new = set(snapshots(host) or {}) - ids_before
            planted[label] = next(iter(new), None)
            added |= new
        job2 = host.run(f"{AS_CRON} {JOB}")
        final = snapshots(host) or {}
        second = newest(final, set(final) - set(before) - set(planted.values()) - {first})
        added |= set(final) - set(before)
        facts.update(job2_rc=job2.rc, planted=planted, kept=set(final), second=second)

        # The restore drill: the job's first snapshot, into a scratch folder.
        scratch = host.run("/usr/bin/mktemp -d /tmp/opslab-drill.XXXXXX").stdout.strip()
        restore = host.run(f"{RESTIC} restore --no-lock %s --target %s", first, scratch)
        facts["restore_rc"] = restore.rc
        listing = host.run("cd %s && /usr/bin/find . -type f -exec /usr/bin/sha256sum {} +", scratch).stdout
        for line in listing.splitlines():
            digest, _, path = line.partition("  ")
            facts["restored"][path[1:]] = digest
        return facts
    finally:
        still = added & set(snapshots(host) or {})
        if still:
            host.run(f"{RESTIC} forget --quiet " + " ".join(["%s"] * len(still)), *sorted(still))
        if scratch and scratch.startswith("/tmp/opslab-drill."):
            host.run("/usr/bin/rm -rf %s", scratch)
        host.run("/usr/bin/rm -f " + " ".join(["%s"] * len(drill_files)), *drill_files)


def originals(lab_dir):
    base = lab_dir / "files" / "data"
    return {"/" + p.relative_to(base).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(base.rglob("*")) if p.is_file()}


def shortlist(items):
    items = list(items)
    return ", ".join(items[:3]) + (f" and {len(items) - 3} more" if len(items) > 3 else "")


# --- backup-complete ------------------------------------------------------------------------

@pytest.mark.task("backup-complete")
def test_nightly_job_takes_a_snapshot_when_cron_runs_it(drill):
    assert drill.get("repo_ok"), "restic cannot open /backup/restic with the password in /etc/backup/restic.pass"
    assert drill.get("job_rc") == 0, (
        f"{JOB}, run the way cron runs it, fails (exit {drill.get('job_rc')})")
    assert drill.get("first"), f"{JOB} ran, but no new snapshot appeared in /backup/restic"


@pytest.mark.task("backup-complete")
def test_restored_snapshot_holds_every_data_file(drill, lab_dir):
    assert drill.get("first"), "the nightly job made no snapshot to restore"
    assert drill.get("restore_rc") == 0, "restic could not restore the nightly job's snapshot"
    missing = [p for p, digest in originals(lab_dir).items() if drill["restored"].get(p) != digest]
    assert not missing, f"a restore of last night's backup lacks {len(missing)} data files, e.g. {shortlist(missing)}"


@pytest.mark.task("backup-complete")
def test_restored_snapshot_holds_the_latest_changes(drill):
    assert drill.get("first"), "the nightly job made no snapshot to restore"
    missing = [p for p, body in drill["files"].items()
               if drill["restored"].get(p) != hashlib.sha256(body.encode()).hexdigest()]
    assert not missing, f"files added today are not in the restored backup: {shortlist(missing)}"


@pytest.mark.task("backup-complete")
def test_thumbnail_cache_is_not_backed_up(drill):
    assert drill.get("first"), "the nightly job made no snapshot to restore"
    cached = [p for p in drill["restored"] if p.startswith("/srv/data/cache/")]
    assert not cached, "the backup still carries the thumbnail cache (/srv/data/cache), which is regenerated"


# --- retention ------------------------------------------------------------------------------

@pytest.mark.task("retention")
def test_snapshots_older_than_30_days_are_forgotten(drill):
    assert drill.get("planted"), "the nightly job made no snapshot to test its retention with"
    assert drill.get("job2_rc") == 0 and drill.get("second"), f"{JOB} failed when run a second time"
    assert drill["planted"]["old"] and drill["planted"]["old"] not in drill["kept"], (
        "after the nightly job, a snapshot from 40 days ago is still in the repository")


@pytest.mark.task("retention")
def test_snapshots_of_the_last_7_days_are_kept(drill):
    assert drill.get("planted"), "the nightly job made no snapshot to test its retention with"
    lost = [name for name, sid in (("3 days ago", drill["planted"]["recent"]), ("earlier today", drill["first"]))
            if sid not in drill["kept"]]
    assert not lost, f"the nightly job forgets a snapshot from {lost[0]}; the last 7 days must all be kept"


# --- backups-private ------------------------------------------------------------------------

@pytest.mark.task("backups-private")
@pytest.mark.parametrize("user", ["monitor", "nobody"])
def test_password_file_is_unreadable_by_others(host, user):
    cmd = host.run("/usr/bin/setpriv --reuid=%s --regid=%s --init-groups /usr/bin/cat /etc/backup/restic.pass", user, user)
    assert cmd.rc != 0, f"{user} can read the repository password in /etc/backup/restic.pass"


@pytest.mark.task("backups-private")
def test_repository_is_unreadable_by_others(host):
    cmd = host.run("/usr/bin/setpriv --reuid=monitor --regid=monitor --init-groups "
                   "/usr/bin/find /backup -type f -readable -print 2>/dev/null")
    readable = cmd.stdout.split()
    assert not readable, f"other accounts can read the repository: {shortlist(readable)}"


@pytest.mark.task("backups-private")
def test_job_and_settings_can_be_changed_by_root_only(host):
    cmd = host.run("/usr/bin/find %s %s %s \\( ! -user root -o -perm /022 \\) -print", JOB, "/etc/backup", "/etc/cron.d")
    weak = cmd.stdout.split()
    assert not weak, f"accounts other than root can change what the backup job runs: {shortlist(weak)}"


@pytest.mark.task("backups-private")
def test_repository_still_opens_with_the_password_file(host):
    assert snapshots(host) is not None, "restic cannot open /backup/restic with the password in /etc/backup/restic.pass"


# --- scheduled ------------------------------------------------------------------------------

def cron_entries(host, copy_out):
    """(file, schedule, user, command) of every job in /etc/crontab and the files cron reads in
    /etc/cron.d, parsed on the grader's side."""
    found = []
    names = host.run("/usr/bin/find %s -maxdepth 1 -type f -printf '%%f\\n'", "/etc/cron.d").stdout.split()
    for path in ["/etc/crontab"] + [f"/etc/cron.d/{n}" for n in names if CRON_NAME.match(n)]:
        for line in copy_out(path).read_text(errors="replace").splitlines():
            line = line.strip()
            if not line or line.startswith("#") or re.match(r"^[A-Za-z_][A-Za-z0-9_]*\s*=", line):
                continue
            n = 2 if line.startswith("@") else 6
            fields = line.split(None, n)
            if len(fields) == n + 1:
                found.append((path, fields[:n - 1], fields[n - 1], fields[n]))
    return found


@pytest.mark.task("scheduled")
def test_cron_runs_the_job_as_root_every_night(host, copy_out):
    entries = [e for e in cron_entries(host, copy_out) if re.search(rf"(^|[\s;&|]){re.escape(JOB)}($|[\s;&|>])", e[3])]
    assert entries, f"cron does not run {JOB} (is the file in /etc/cron.d one that cron reads?)"
    nightly = [e for e in entries if e[2] == "root" and (
        e[1][0] in ("@daily", "@midnight", "@hourly") or (len(e[1]) == 5 and e[1][2:] == ["*", "*", "*"]))]
    assert nightly, f"cron does not run {JOB} as root at least once every night"


@pytest.mark.task("scheduled")
def test_job_is_executable(host):
    assert host.run("/usr/bin/test -x %s", JOB).rc == 0, f"{JOB} is not executable: cron cannot run it"


@pytest.mark.task("scheduled")
def test_cron_daemon_is_running(host):
    args = host.run("/usr/bin/ps -eo args=").stdout.splitlines()
    assert any(a.split()[0] in ("/usr/sbin/cron", "cron") for a in args if a.split()), "cron is not running"
