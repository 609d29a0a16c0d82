"""Checks for reproducible-release-build.

The candidate's build (the Makefile and scripts/ of /root/agent) is copied into a test
repository the candidate has never seen: other source files, a random version tag, a random
commit date, tracked files that are not part of a release and untracked junk in the checkout.
It is cloned twice and `make release` runs in each clone under different conditions (build
folder on disk vs. on a tmpfs, umask, time zone, a later wall-clock time). The two dist/
folders are copied out through the engine and judged on the grader's side: tarball names,
contents, modes and dates read with Python's tarfile, checksums computed here.
"""

import hashlib
import io
import random
import secrets
import tarfile

import pytest

PROJECT = "/root/agent"
NAME = "acme-agent"
TOOLS = ("/usr/bin/make", "/usr/bin/tar", "/usr/bin/gzip", "/usr/bin/git", "/usr/bin/sha256sum")


class Build:
    def __init__(self, host, copy_out):
        self.host, self.copy_out = host, copy_out
        rnd = random.SystemRandom()
        self.n = secrets.token_hex(3)
        self.version = f"{rnd.randint(3, 9)}.{rnd.randint(0, 19)}.{rnd.randint(0, 19)}"
        self.epoch = rnd.randint(1_600_000_000, 1_700_000_000)
        self.error = None
        n = self.n
        self.release_files = {
            "src/acme_agent/__init__.py": f'"""acme-agent {n}."""\n',
            "src/acme_agent/cli.py": f"from acme_agent import collect_{n}\n\n\ndef main():\n    print(collect_{n}.sample())\n",
            f"src/acme_agent/collect_{n}.py": f"def sample():\n    return {{'{n}': 1}}\n",
            "src/acme_agent/plugins/__init__.py": "",
            f"src/acme_agent/plugins/disk_{n}.py": f"PATHS = ['/', '/var/{n}']\n",
            "share/acme-agent.conf": f"interval = {rnd.randint(5, 60)}s\ntag = {n}\n",
            "share/bin/acme-agent": "#!/bin/sh\nexec python3 -m acme_agent.cli \"$@\"\n",
            f"share/bin/acme-agent-{n}": f"#!/bin/sh\necho {n}\n",
            "README.md": f"# acme-agent\n\nbuild {n}\n",
            "LICENSE": f"Copyright (c) Acme Corp. {n}\n",
        }
        self.executables = {"share/bin/acme-agent", f"share/bin/acme-agent-{n}"}
        self.other_tracked = {f"tests/test_{n}.py": "def test_ok():\n    pass\n", "docs/notes.md": f"notes {n}\n",
                              ".gitignore": "__pycache__/\n*~\n/build/\n/dist/\n"}
        self.junk = ["src/acme_agent/__pycache__/cli.cpython-311.pyc", "share/acme-agent.conf~",
                     f"src/acme_agent/scratch_{n}.py"]

    def run(self, cmd, *args):
        return self.host.run(cmd, *args)

    def ok(self, cmd, *args):
        r = self.run(cmd, *args)
        if r.rc != 0:
            raise RuntimeError((r.stderr or r.stdout).strip()[-300:])
        return r.stdout

    def write(self, root, rel, text, mode="0644"):
        self.ok("/usr/bin/mkdir -p \"$(/usr/bin/dirname %s)\" && printf '%%s' %s > %s && /usr/bin/chmod %s %s",
                f"{root}/{rel}", text, f"{root}/{rel}", mode, f"{root}/{rel}")

    def build(self, root, where, umask, tz):
        """Clone the test repository into `where`, add junk, run make release; rc and output."""
        self.ok("umask %s && /usr/bin/git clone -q %s %s", umask, f"{root}/src", where)
        for j in self.junk:
            self.write(where, j, f"junk {secrets.token_hex(4)}\n")
        return self.run("cd %s && umask %s && TZ=%s /usr/bin/timeout 120 /usr/bin/make release", where, umask, tz)

    def play(self):
        self.tmp = self.ok("/usr/bin/mktemp -d /var/tmp/.opslab-check.XXXXXX").strip()
        # The second build runs on a tmpfs (a file system that lists folders in another
        # order than the disk's): /dev is one, and unlike /dev/shm it allows executables.
        r = self.run("/usr/bin/mktemp -d /dev/.opslab-check.XXXXXX")
        self.shm = r.stdout.strip() if r.rc == 0 else f"{self.tmp}/shm"
        src = f"{self.tmp}/src"
        if not self.host.file(f"{PROJECT}/Makefile").is_file:
            self.error = f"there is no {PROJECT}/Makefile"
            return
        self.ok("/usr/bin/mkdir -p %s && /usr/bin/cp -a %s/Makefile %s/ && "
                "{ [ ! -d %s/scripts ] || /usr/bin/cp -a %s/scripts %s/; }", src, PROJECT, src, PROJECT, PROJECT, src)
        for rel, text in {**self.release_files, **self.other_tracked}.items():
            self.write(src, rel, text, "0755" if rel in self.executables else "0644")
        date = f"@{self.epoch} +0000"
        self.ok("cd %s && /usr/bin/git init -q -b main && /usr/bin/git add -A && "
                "GIT_AUTHOR_DATE=%s GIT_COMMITTER_DATE=%s /usr/bin/git -c user.name=Release -c user.email=rel@acme.example "
                "commit -q -m %s && GIT_COMMITTER_DATE=%s /usr/bin/git -c user.name=Release -c user.email=rel@acme.example "
                "tag -a %s -m %s", src, date, date, f"release {self.version}", date, f"v{self.version}",
                f"acme-agent {self.version}")
        self.a = self.build(self.tmp, f"{self.tmp}/a", "0022", "UTC")
        self.run("sleep 1.2")
        self.b = self.build(self.tmp, f"{self.shm}/b", "0002", "Pacific/Chatham")
        self.dist = {}
        for key, where in (("a", f"{self.tmp}/a/dist"), ("b", f"{self.shm}/b/dist")):
            self.run("[ -d %s ] && /usr/bin/cp -a %s %s/dist-%s", where, where, self.tmp, key)
            files = {}
            if self.host.file(f"{self.tmp}/dist-{key}").is_directory:
                local = self.copy_out(f"{self.tmp}/dist-{key}")
                files = {p.name: p.read_bytes() for p in local.iterdir() if p.is_file()}
            self.dist[key] = files

    def cleanup(self):
        for d in (getattr(self, "tmp", None), getattr(self, "shm", None)):
            if d and "/.opslab-check." in d:
                self.run("/usr/bin/rm -rf %s", d)


@pytest.fixture(scope="module")
def build(host, copy_out):
    b = Build(host, copy_out)
    try:
        b.play()
    except RuntimeError as e:
        b.error = f"the checks could not prepare a test build: {e}"
    finally:
        b.cleanup()
    return b


def built(build):
    assert not build.error, build.error
    assert build.a.rc == 0, (
        f"`make release` fails on a freshly cloned, tagged checkout: "
        f"{(build.a.stderr or build.a.stdout).strip().splitlines()[-1:] or ''}"
    )
    tars = sorted(n for n in build.dist["a"] if n.endswith(".tar.gz"))
    assert len(tars) == 1, f"`make release` must leave one .tar.gz in dist/ (found {len(tars)})"
    return tars[0], build.dist["a"][tars[0]]


def members(data):
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as t:
        return [(m, t.extractfile(m).read() if m.isfile() else None) for m in t.getmembers()]


def release_tree(build):
    """{path below the top folder: (member, bytes)} of the first build's tarball."""
    name, data = built(build)
    try:
        entries = members(data)
    except (tarfile.TarError, OSError, EOFError):
        raise AssertionError(f"dist/{name} is not a gzip-compressed tar archive") from None
    top = f"{NAME}-{build.version}"
    outside = [m.name for m, _ in entries if m.name.rstrip("/") != top and not m.name.startswith(top + "/")]
    assert not outside, f"everything in the tarball must be inside one top folder {NAME}-<version>/"
    return {m.name[len(top) + 1:]: (m, body) for m, body in entries if m.name.rstrip("/") != top}


# --- version-from-tag ------------------------------------------------------------------

@pytest.mark.task("version-from-tag")
def test_artifact_is_named_for_the_tag(build):
    name, _ = built(build)
    assert name == f"{NAME}-{build.version}.tar.gz", (
        f"building a commit tagged v{build.version} made dist/{name}: the release is named after its version tag"
    )


@pytest.mark.task("version-from-tag")
def test_version_file_holds_the_version(build):
    tree = release_tree(build)
    got = tree.get("VERSION", (None, None))[1]
    assert got is not None and got.decode(errors="replace").strip() == build.version, (
        "the tarball's VERSION file does not hold the version of the tag that was built"
    )


# --- artifact-contents -----------------------------------------------------------------

@pytest.mark.task("artifact-contents")
def test_tarball_ships_no_extra_files(build):
    tree = release_tree(build)
    files = {p for p, (m, _) in tree.items() if not m.isdir()}
    extra = sorted(files - set(build.release_files) - {"VERSION"})
    assert not extra, (
        f"the tarball ships files that are not part of the committed release ({len(extra)}, e.g. {extra[0]})"
    )


@pytest.mark.task("artifact-contents")
def test_tarball_ships_every_committed_file(build):
    tree = release_tree(build)
    missing = sorted(p for p in build.release_files if p not in tree)
    assert not missing, f"the tarball is missing committed files of the release (e.g. {missing[0]})"
    changed = sorted(p for p, text in build.release_files.items() if tree[p][1] != text.encode())
    assert not changed, f"{changed[0]} in the tarball differs from the committed file"


@pytest.mark.task("artifact-contents")
def test_only_executables_are_executable(build):
    tree = release_tree(build)
    wrong = sorted(p for p in build.release_files if p in tree
                   and bool(tree[p][0].mode & 0o111) != (p in build.executables))
    assert not wrong, f"{wrong[0]} has the wrong executable bit in the tarball (compare with git)"
    writable = sorted(p for p, (m, _) in tree.items() if m.mode & 0o022)
    assert not writable, f"{writable[0]} is group- or world-writable in the tarball"


# --- reproducible ----------------------------------------------------------------------

@pytest.mark.task("reproducible")
def test_second_build_is_byte_identical(build):
    name, data = built(build)
    assert build.b.rc == 0, "`make release` failed when built a second time in another folder"
    other = build.dist["b"].get(name)
    assert other is not None, f"a second build in another folder did not make dist/{name}"
    assert hashlib.sha256(other).digest() == hashlib.sha256(data).digest(), (
        f"two builds of the same tagged commit (another folder, umask, time zone and time) "
        f"made different dist/{name}"
    )


@pytest.mark.task("reproducible")
def test_entries_are_dated_at_the_release_commit(build):
    name, data = built(build)
    tree = release_tree(build)
    wrong = sorted(p for p, (m, _) in tree.items() if int(m.mtime) != build.epoch)
    assert not wrong, (
        f"entries in dist/{name} are not dated at the release commit's time (e.g. {wrong[0]})"
    )
    stamp = int.from_bytes(data[4:8], "little")
    assert stamp in (0, build.epoch), f"the gzip header of dist/{name} records the build time"


@pytest.mark.task("reproducible")
def test_entries_carry_no_builder_identity(build):
    tree = release_tree(build)
    wrong = sorted(p for p, (m, _) in tree.items() if m.uid != 0 or m.gid != 0 or m.uname not in ("", "root")
                   or m.gname not in ("", "root"))
    assert not wrong, f"entries in the tarball are owned by the builder's user (e.g. {wrong[0]}): use 0/root"


@pytest.mark.task("reproducible")
def test_build_tools_are_the_systems(modified):
    changed = [t for t in TOOLS if modified(t)]
    assert not changed, f"{changed[0]} is not the one the system installed: build with the stock tools"


# --- checksums -------------------------------------------------------------------------

@pytest.mark.task("checksums")
def test_checksums_file_verifies_the_tarball(build):
    name, data = built(build)
    sums = build.dist["a"].get("SHA256SUMS")
    assert sums is not None, "`make release` does not write dist/SHA256SUMS"
    lines = [ln for ln in sums.decode(errors="replace").splitlines() if ln.strip()]
    want = hashlib.sha256(data).hexdigest()
    ok = [ln for ln in lines if ln in (f"{want}  {name}", f"{want} *{name}")]
    assert ok, (
        f"dist/SHA256SUMS has no line that lets `sha256sum -c SHA256SUMS`, run in the download folder, "
        f"verify {name}"
    )


@pytest.mark.task("checksums")
def test_checksums_file_lists_nothing_else(build):
    name, data = built(build)
    sums = build.dist["a"].get("SHA256SUMS", b"")
    lines = [ln for ln in sums.decode(errors="replace").splitlines() if ln.strip()]
    assert len(lines) == 1, (
        f"dist/SHA256SUMS must list the release tarball alone (it has {len(lines)} lines)"
    )


@pytest.mark.task("checksums")
def test_rebuild_refreshes_the_checksums(build):
    name, _ = built(build)
    assert build.b.rc == 0, "`make release` failed when built a second time in another folder"
    other, sums = build.dist["b"].get(name), build.dist["b"].get("SHA256SUMS", b"")
    assert other is not None and hashlib.sha256(other).hexdigest() in sums.decode(errors="replace"), (
        "after a build in another folder, dist/SHA256SUMS does not match the tarball next to it"
    )
