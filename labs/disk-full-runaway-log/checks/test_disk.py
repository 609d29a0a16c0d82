"""Checks for disk-full-runaway-log: room on the log volume, the audit trail whole, ledgerd
running and logging sanely, and a logrotate rule that keeps it that way."""

import fnmatch
import gzip
import hashlib
import re
import shlex
import tarfile
import time

import pytest

VOLUME = "/var/log/app"
APP_LOG = "/var/log/app/app.log"
AUDIT = "/var/log/app/audit"
JOURNAL = "/var/lib/ledger/journal.tsv"
MAX_USE = 50           # percent of the volume in use
DEBUG_RATE = 16 << 10  # bytes per 3 s: info level writes ~100 B/s, debug ~60 KiB/s
NO_RULE = f"no logrotate rule covers {APP_LOG}"


def ledgerd_pids(host):
    return [p.pid for p in host.process.filter(comm="ledgerd")]


def open_files(host, pid):
    """Where a process's file descriptors point ('... (deleted)' for deleted files)."""
    cmd = host.run("/usr/bin/find /proc/%s/fd -mindepth 1 -maxdepth 1 -printf '%%l\\n'", str(pid))
    return cmd.stdout.splitlines()


# --- space-freed ----------------------------------------------------------------------

@pytest.mark.task("space-freed")
def test_log_volume_is_less_than_half_full(host):
    cmd = host.run("/usr/bin/stat -f -c '%%b %%f' %s", VOLUME)
    total, free = map(int, cmd.stdout.split())
    used = round(100 * (total - free) / total)
    assert used < MAX_USE, f"{VOLUME} is still {used}% full; it must be below {MAX_USE}%"


# --- audit-intact ---------------------------------------------------------------------

def audit_files(host):
    """{name: bytes} of the audit folder, hashed and parsed on the grader's side. (Read with
    cat: the engine's copy_out cannot see into a tmpfs mount.)"""
    names = host.run("/usr/bin/find %s -maxdepth 1 -type f -printf '%%f\\n'", AUDIT).stdout.split()
    return {n: host.file(f"{AUDIT}/{n}").content for n in names}


@pytest.mark.task("audit-intact")
def test_archived_audit_files_are_unchanged(host, lab_dir):
    kept = audit_files(host)
    for original in sorted((lab_dir / "files" / "audit").glob("*.jsonl.gz")):
        assert original.name in kept, f"the archived audit file {AUDIT}/{original.name} is gone"
        assert hashlib.sha256(kept[original.name]).digest() == hashlib.sha256(original.read_bytes()).digest(), (
            f"the archived audit file {AUDIT}/{original.name} was changed; archives must stay as they were"
        )


@pytest.mark.task("audit-intact")
def test_every_journaled_payment_is_in_the_audit_trail(host):
    # Journal first, then the audit trail: ledgerd audits a payment moments after committing it.
    last = host.run("/usr/bin/tail -n 1 %s", JOURNAL).stdout.split("\t")[0]
    assert last.isdigit(), f"the payments journal {JOURNAL} is missing or damaged"
    audited = set()
    for name, data in audit_files(host).items():
        if name.endswith(".gz"):
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError):
                continue
        audited.update(int(s) for s in re.findall(rb'^\{"seq":(\d+),', data, re.MULTILINE))
    missing = sorted(set(range(1, int(last) - 1)) - audited)
    assert not missing, (
        f"{len(missing)} committed payments have no audit record (from seq {missing[0]}): "
        "ledgerd cannot write its audit trail"
    )


# --- app-running ----------------------------------------------------------------------

@pytest.mark.task("app-running")
def test_ledgerd_is_running(host):
    assert ledgerd_pids(host), "ledgerd is not running"


@pytest.mark.task("app-running")
def test_ledgerd_logs_to_app_log(host):
    pids = ledgerd_pids(host)
    assert pids, "ledgerd is not running"
    assert any(APP_LOG in open_files(host, pid) for pid in pids), f"ledgerd is not writing to {APP_LOG}"


@pytest.mark.task("app-running")
def test_ledgerd_logs_at_its_normal_rate(host):
    log = host.file(APP_LOG)
    assert log.is_file, f"there is no {APP_LOG}"
    before = log.size
    time.sleep(3)
    growth = log.size - before
    assert growth > 0, f"nothing was written to {APP_LOG} in 3 seconds: is ledgerd working?"
    assert growth < DEBUG_RATE, (
        f"{APP_LOG} grew by {growth // 1024} KiB in 3 seconds: at that rate the volume fills up again within the hour"
    )


# --- log-rotated ----------------------------------------------------------------------

SCRIPTS = {"postrotate", "prerotate", "firstaction", "lastaction", "preremove"}
# logrotate skips included files with these endings (its default tabooext list)
TABOO = (",v", ".bak", ".cfsaved", ".disabled", ".dpkg-bak", ".dpkg-del", ".dpkg-dist", ".dpkg-new",
         ".dpkg-old", ".dpkg-tmp", ".rpmnew", ".rpmorig", ".rpmsave", ".swp", ".ucf-dist", ".ucf-new",
         ".ucf-old", "~")


def apply(opts, words, script=None):
    """Fold one logrotate directive into a dict of options."""
    key, args = words[0], words[1:]
    if key in ("hourly", "daily", "weekly", "monthly", "yearly"):
        opts["criterion"] = key
    elif key == "size" and args:
        opts["criterion"] = "size"
    elif key in ("maxsize", "minsize", "maxage") and args:
        opts[key] = args[0]
    elif key == "rotate" and args and re.fullmatch(r"-?\d+", args[0]):
        opts["rotate"] = int(args[0])
    elif key in ("compress", "copytruncate", "create"):
        opts[key] = True
    elif key in ("nocompress", "nocopytruncate", "nocreate"):
        opts[key[2:]] = False
    elif key in SCRIPTS:
        opts[key] = script


def parse_logrotate(read, path, defaults, blocks):
    """Walk a logrotate config like logrotate does: global options apply to the blocks after
    them; `include` pulls in a file or a folder's files. Appends (patterns, options) blocks."""
    content = read(path)
    if content is None:
        return
    if isinstance(content, dict):  # a folder: its files in name order, minus taboo names
        for name in sorted(content):
            if not name.startswith(".") and not name.endswith(TABOO):
                parse_text(read, content[name], defaults, blocks)
    else:
        parse_text(read, content, defaults, blocks)


def parse_text(read, text, defaults, blocks):
    block, patterns, script = None, [], None
    for raw in text.splitlines():
        line = raw.strip()
        if script is not None:  # inside prerotate/postrotate ... endscript
            if line == "endscript":
                apply(block if block is not None else defaults, [script[0]], "\n".join(script[1:]))
                script = None
            else:
                script.append(line)
            continue
        if not line or line.startswith("#"):
            continue
        if block is None and "{" in line:
            patterns += shlex.split(line.split("{", 1)[0])
            block, line = dict(defaults), line.split("{", 1)[1].strip()
            if not line:
                continue
        if block is not None and line.startswith("}"):
            blocks.append((patterns, block))
            block, patterns = None, []
            continue
        words = line.split()
        if words[0] in SCRIPTS:
            script = [words[0]]
        elif block is not None:
            apply(block, words)
        elif words[0] == "include" and len(words) > 1:
            parse_logrotate(read, words[1], defaults, blocks)
        elif words[0].startswith("/") or words[0].startswith('"'):
            patterns += shlex.split(line)  # patterns on their own line, `{` on the next
        else:
            apply(defaults, words)


def read_config(host, copy_out, path):
    """A config file's text, or {name: text} for a folder's files, copied out through the
    engine; None when it does not exist. The engine copies a symlink rather than its target,
    so links are resolved in the sandbox first."""
    real = host.run("/usr/bin/readlink -e %s", path).stdout.strip()
    if not real:
        return None
    try:
        local = copy_out(real)
    except FileNotFoundError:
        return None
    except tarfile.TarError:  # a folder holding links that point out of it
        names = host.run("/usr/bin/find %s -mindepth 1 -maxdepth 1 -printf '%%f\\n'", real).stdout.split()
        return {n: t for n in names if isinstance(t := read_config(host, copy_out, f"{real}/{n}"), str)}
    if not local.is_dir():
        return local.read_text(errors="replace")
    files = {}
    for f in local.iterdir():
        text = read_config(host, copy_out, f"{real}/{f.name}") if f.is_symlink() else (
            f.read_text(errors="replace") if f.is_file() else None)
        if isinstance(text, str):
            files[f.name] = text
    return files


@pytest.fixture
def app_log_rule(host, copy_out):
    """logrotate's options for app.log, read on the grader's side (None when no rule covers it)."""
    blocks = []
    parse_logrotate(lambda path: read_config(host, copy_out, path), "/etc/logrotate.conf", {}, blocks)
    for patterns, opts in blocks:
        if any(fnmatch.fnmatchcase(APP_LOG, p) for p in patterns):
            return opts
    return None


@pytest.mark.task("log-rotated")
def test_logrotate_binary_is_the_packaged_one(modified):
    # The engine, not a checksum list the candidate could rewrite, says whether it changed.
    assert not modified("/usr/sbin/logrotate"), (
        "/usr/sbin/logrotate is not the binary the logrotate package installed; reinstall it"
    )


@pytest.mark.task("log-rotated")
def test_logrotate_accepts_the_configuration(host):
    cmd = host.run("/usr/sbin/logrotate -d /etc/logrotate.conf")
    assert cmd.rc == 0 and "error:" not in cmd.stderr + cmd.stdout, (
        "logrotate -d /etc/logrotate.conf reports errors; it would skip what it cannot read"
    )


@pytest.mark.task("log-rotated")
def test_app_log_has_a_rotation_rule(app_log_rule):
    assert app_log_rule is not None, NO_RULE


@pytest.mark.task("log-rotated")
def test_app_log_rotates_daily_or_by_size(app_log_rule):
    assert app_log_rule is not None, NO_RULE
    rule = app_log_rule
    assert rule.get("criterion") in ("hourly", "daily", "size") or "maxsize" in rule, (
        f"{APP_LOG} would not rotate often enough: rotate it at least daily, or once it reaches a size"
    )


@pytest.mark.task("log-rotated")
def test_rotated_app_logs_are_compressed(app_log_rule):
    assert app_log_rule is not None, NO_RULE
    assert app_log_rule.get("compress"), f"rotated copies of {APP_LOG} would not be compressed"


@pytest.mark.task("log-rotated")
def test_rotated_app_logs_are_limited_in_number(app_log_rule):
    assert app_log_rule is not None, NO_RULE
    count = app_log_rule.get("rotate", 0)
    assert 1 <= count <= 100, f"keep some rotated copies of {APP_LOG}, but a bounded number (rotate is {count})"


@pytest.mark.task("log-rotated")
def test_rotation_leaves_ledgerd_writing_to_app_log(app_log_rule):
    assert app_log_rule is not None, NO_RULE
    rule = app_log_rule
    script = rule.get("postrotate") or ""
    reopens = "ledgerd" in script and re.search(r"\b(reload|restart|force-reload|HUP|SIGHUP)\b", script)
    assert rule.get("copytruncate") or reopens, (
        f"after a rotation ledgerd would keep writing to the rotated file, not to a new {APP_LOG}"
    )
