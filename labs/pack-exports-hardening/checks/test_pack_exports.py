"""Checks for pack-exports-hardening: the candidate's pack-exports runs, as cron runs it (user
exporter, an empty environment), on exports it has never seen, made afresh for every grading:
names with spaces, glob characters, leading dashes, accents and a newline; nothing to pack;
a file it may not read; a drop folder it may not write; a disk that fills up mid-write.
What the script leaves behind is read through the engine (snapshot, copy_out) and judged here."""

import base64
import io
import random
import secrets
import tarfile

import pytest

SCRIPT = "/usr/local/bin/pack-exports"
RUN_AS = "/usr/bin/setpriv --reuid=exporter --regid=exporter --init-groups"
TIMEOUT = 30
FSIZE = 1 << 20  # "disk full": no file the script writes may grow past 1 MiB
NASTY = ["Q3 report (final).csv", "*.csv", "-rf.csv", "--checkpoint-action=exec=sh.csv", "na\u00efve caf\u00e9 \u00fcbersicht.csv",
         "two\nlines.csv", "[daily] 01.csv", "$(reboot).csv", "tab\there.csv", "plain.csv"]
KEEP = ["notes.txt", "ledger.csv.bak", "README"]


def csv(rng, rows):
    lines = ["order_id,customer,amount_eur,booked_at"]
    for _ in range(rows):
        lines.append(f"{rng.randint(10**6, 10**7)},C{rng.randint(1000, 9999)},{rng.randint(1, 99999) / 100:.2f},"
                     f"2025-10-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z")
    return ("\n".join(lines) + "\n").encode()


class Case:
    def __init__(self, name, src, dest, tmp, limit=None):
        self.name, self.src, self.dest, self.tmp, self.limit = name, src, dest, tmp, limit
        self.rc = self.stderr = None
        self.before = self.after = None   # snapshots of src and dest, through the engine
        self.leftovers = []               # temporary files left behind, anywhere
        self.archive = None               # {member name: bytes} when the run published one
        self.published = []               # new names in dest
        self.sums = self.archive_sha = None


@pytest.fixture(scope="module")
def runs(host, snapshot, copy_out):
    rng = random.Random(secrets.randbits(64))
    stamp = f"2025{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}{rng.randint(0, 59):02d}00Z"
    work = host.run('d=$(/usr/bin/mktemp -d /var/tmp/opslab-pack.XXXXXX) && /bin/chmod 0755 "$d" && echo "$d"').stdout.strip()
    assert work.startswith("/var/tmp/opslab-pack."), "the grader could not make its test folder"
    tree, modes = {}, {}
    packed = {}
    for name in rng.sample(NASTY, 7) + ["plain.csv"]:
        packed[name] = csv(rng, rng.randint(5, 400))
    for name, data in packed.items():
        tree[f"happy/in box/{name}"] = data
    for name in KEEP:
        tree[f"happy/in box/{name}"] = b"keep me\n"
    tree["happy/in box/old.csv/README"] = b"a folder, not an export\n"
    tree["happy/out box/exports-20250101T000000Z.tar.gz"] = b"last year's, leave it alone\n"
    tree["empty/in/readme.txt"] = b"nothing to see\n"
    tree["empty/in/archive.csv/.keep"] = b""
    for case in ("locked", "readonly", "full"):
        for i in range(rng.randint(3, 5)):
            tree[f"{case}/in/{rng.choice(NASTY)[:-4]} {i}.csv"] = csv(rng, rng.randint(5, 50))
    locked = f"locked/in/payroll {rng.randint(10, 99)}.csv"
    tree[locked] = csv(rng, 20)
    modes[locked] = 0o000
    for case in ("happy", "empty", "locked", "readonly", "full"):
        tree.setdefault(f"{case}/out/.keep" if case != "happy" else "happy/out box/.keep", b"")
    try:
        upload(host, work, tree, modes)
        # exporter owns its folders, except what a case takes away from it; an incompressible
        # export makes the "full" archive outgrow the file size limit
        cmd = host.run("cd %s && /usr/bin/head -c %s /dev/urandom > 'full/in/big export.csv' "
                       "&& /bin/chown -R exporter:exporter . && /bin/chown root:root %s readonly/out "
                       "&& /bin/mkdir -m 0700 happy/tmp empty/tmp locked/tmp readonly/tmp full/tmp "
                       "&& /bin/chown exporter:exporter happy/tmp empty/tmp locked/tmp readonly/tmp full/tmp",
                       work, str(FSIZE + (FSIZE >> 1)), locked)
        assert cmd.rc == 0, "the grader could not prepare its test folders"
        cases = [Case("happy", "in box", "out box", "happy/tmp"), Case("empty", "in", "out", "empty/tmp"),
                 Case("locked", "in", "out", "locked/tmp"), Case("readonly", "in", "out", "readonly/tmp"),
                 Case("full", "in", "out", "full/tmp", limit=FSIZE)]
        for c in cases:
            base = f"{work}/{c.name}"
            src, dest = f"{base}/{c.src}", f"{base}/{c.dest}"
            strays = stray_temp_files(host, work)
            c.before = snapshot(src, dest)
            limit = f"/usr/bin/prlimit --fsize={c.limit} " if c.limit else ""
            cmd = host.run(f"cd %s && {RUN_AS} /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin TMPDIR=%s "
                           f"PACK_STAMP=%s /usr/bin/timeout {TIMEOUT} {limit}{SCRIPT} %s %s",
                           base, f"{work}/{c.tmp}", stamp, src, dest)
            c.rc, c.stderr = cmd.rc, cmd.stderr
            c.after = snapshot(src, dest)
            c.leftovers = sorted(set(stray_temp_files(host, work)) - set(strays))
            c.leftovers += [p for p in snapshot(f"{work}/{c.tmp}") if p != f"{work}/{c.tmp}"]
            c.published = sorted(p.rsplit("/", 1)[1] for p in set(c.after) - set(c.before)
                                 if p.startswith(dest + "/") and "/" not in p[len(dest) + 1:])
            c.src_path, c.dest_path = src, dest
            archive = f"{dest}/exports-{stamp}.tar.gz"
            if c.name == "happy" and archive in c.after and c.after[archive][0] == "file":
                c.archive = read_tar(copy_out(archive))
                sums = copy_out(archive + ".sha256") if archive + ".sha256" in c.after else None
                c.sums = sums.read_bytes() if sums else None
                c.archive_sha = c.after[archive][6]
        for c in cases:
            for p in c.leftovers:  # clean up after the script, outside the test folder
                if not p.startswith(work + "/"):
                    host.run("/bin/rm -rf -- %s", p)
        return {"stamp": stamp, "packed": packed, "locked": locked, **{c.name: c for c in cases}}
    finally:
        host.run("/bin/rm -rf -- %s", work)


def stray_temp_files(host, work):
    """exporter's files and folders in the shared temporary folders, outside the test folder."""
    cmd = host.run("/usr/bin/find /tmp /var/tmp /dev/shm -path %s -prune -o -user exporter -print0", work)
    return [p for p in cmd.stdout.split("\0") if p]


def read_tar(path):
    """{member name: bytes or a kind} of a .tar.gz, read here; None if it is not one."""
    try:
        with tarfile.open(path, "r:gz") as tar:
            out = {}
            for m in tar:
                name = m.name[2:] if m.name.startswith("./") else m.name
                out[name] = tar.extractfile(m).read() if m.isfile() else m.type
            return out
    except (tarfile.TarError, OSError, EOFError):
        return None


def upload(host, work, tree, modes):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        dirs = sorted({"/".join(p.split("/")[:i]) for p in tree for i in range(1, p.count("/") + 1)})
        for d in dirs:
            info = tarfile.TarInfo(d)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        for path, data in tree.items():
            info = tarfile.TarInfo(path)
            info.size, info.mode = len(data), modes.get(path, 0o644)
            tar.addfile(info, io.BytesIO(data))
    blob = base64.b64encode(buf.getvalue()).decode()
    lines = [blob[j:j + 76] for j in range(0, len(blob), 76)]
    for i in range(0, len(lines), 780):  # in 76-character lines: no single huge word in a command
        host.run("/usr/bin/printf '%%s\\n' %s >> %s", "\n".join(lines[i:i + 780]), f"{work}/.upload")
    cmd = host.run("cd %s && /usr/bin/base64 -d .upload | /usr/bin/tar -xzf - --no-same-owner && /bin/rm .upload", work)
    assert cmd.rc == 0, "the grader could not unpack its test files"


def files(snap, folder):
    """{name: (kind, sha256)} directly inside a folder (the folder's own times do not count)."""
    return {p[len(folder) + 1:]: (f[0], f[6]) for p, f in snap.items()
            if p.startswith(folder + "/") and "/" not in p[len(folder) + 1:]}


def happy(runs):
    """The normal night must work before anything else can be judged."""
    c = runs["happy"]
    assert c.rc != 124, f"pack-exports did not finish within {TIMEOUT} s"
    assert c.rc == 0, f"pack-exports exits {c.rc} on a folder of ordinary exports (with unusual names)"
    return c


# --- packs-any-name -------------------------------------------------------------------------

@pytest.mark.task("packs-any-name")
def test_normal_run_exits_0(runs):
    happy(runs)


@pytest.mark.task("packs-any-name")
def test_archive_and_checksum_are_published(runs):
    c, name = happy(runs), f"exports-{runs['stamp']}.tar.gz"
    assert c.published == sorted([name, name + ".sha256"]), (
        f"after a normal run the drop folder should have gained exactly {name} and {name}.sha256 "
        f"(PACK_STAMP sets the stamp)")


@pytest.mark.task("packs-any-name")
def test_archive_holds_exactly_the_exports(runs):
    c = happy(runs)
    assert c.archive is not None, "the published archive is not a gzip-compressed tar"
    assert set(c.archive) == set(runs["packed"]), (
        "the archive does not hold exactly the source folder's .csv files, by their bare names")
    assert all(c.archive[n] == data for n, data in runs["packed"].items()), (
        "a file in the archive differs from the export it was packed from")


@pytest.mark.task("packs-any-name")
def test_checksum_file_matches_the_archive(runs):
    c, name = happy(runs), f"exports-{runs['stamp']}.tar.gz"
    assert c.archive is not None and c.sums is not None, "the archive or its .sha256 file is missing"
    assert c.sums.split() == [c.archive_sha.encode(), name.encode()], (
        f"{name}.sha256 should hold one sha256sum line for {name}, by its bare name, so the partner can run sha256sum -c")


@pytest.mark.task("packs-any-name")
def test_packed_exports_are_removed_and_the_rest_kept(runs):
    c = happy(runs)
    before, after = files(c.before, c.src_path), files(c.after, c.src_path)
    expected = {n: f for n, f in before.items() if n not in runs["packed"]}
    assert after == expected, (
        "after a normal run the source folder should have lost its packed .csv files and nothing else")


@pytest.mark.task("packs-any-name")
def test_nothing_to_pack_is_not_an_error(runs):
    c = runs["empty"]
    assert c.rc == 0 and not c.published, (
        f"with no .csv file to pack, pack-exports should publish nothing and exit 0 (exit {c.rc})")


# --- fails-safely ---------------------------------------------------------------------------

FAILURES = {"locked": "an export it may not read", "readonly": "a drop folder it may not write to",
            "full": "a disk that fills up while it writes"}


@pytest.mark.task("fails-safely")
@pytest.mark.parametrize("case", list(FAILURES))
def test_failure_exits_non_zero(runs, case):
    happy(runs)
    c = runs[case]
    assert c.rc != 124, f"with {FAILURES[case]}, pack-exports did not finish within {TIMEOUT} s"
    assert c.rc != 0, f"with {FAILURES[case]}, pack-exports exits 0: cron and the on-call never learn it failed"


@pytest.mark.task("fails-safely")
@pytest.mark.parametrize("case", list(FAILURES))
def test_failure_keeps_every_export(runs, case):
    happy(runs)
    c = runs[case]
    assert files(c.after, c.src_path) == files(c.before, c.src_path), (
        f"with {FAILURES[case]}, pack-exports changed the source folder: exports must stay until they are shipped")


@pytest.mark.task("fails-safely")
@pytest.mark.parametrize("case", list(FAILURES))
def test_failure_publishes_nothing(runs, case):
    happy(runs)
    c = runs[case]
    assert files(c.after, c.dest_path) == files(c.before, c.dest_path), (
        f"with {FAILURES[case]}, pack-exports left something in the drop folder; the partner would pick up a broken batch")


# --- no-leftovers ---------------------------------------------------------------------------

@pytest.mark.task("no-leftovers")
@pytest.mark.parametrize("case", ["happy", "empty", *FAILURES])
def test_no_temporary_files_are_left(runs, case):
    happy(runs)
    c = runs[case]
    what = {"happy": "a normal run", "empty": "a run with nothing to pack"}.get(case, FAILURES.get(case))
    assert not c.leftovers, f"after {what}, pack-exports left temporary files behind"
