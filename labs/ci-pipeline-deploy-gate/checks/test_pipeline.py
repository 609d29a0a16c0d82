"""Checks for ci-pipeline-deploy-gate.

The checks push commits the candidate has never seen to the git server, exactly as a
developer would, and judge what the pipeline did with them:

  F   main + a new test that fails            must not go live; its pipeline fails
  G   F, the failing test removed, a new feature module with its test   goes live
  B   G + a change, pushed to a feature branch                          must not go live
  G2  G + another change to the feature, pushed to main                 goes live, atomically

Before the pushes the deploy token in /etc/ci/secrets.env is swapped for a fresh random one
(so a candidate cannot dodge the secrets check by changing or hard-coding the token); the
pipeline logs and push output must not contain it, and the release must be signed with it.
The last push is watched with inotifywait to see how /srv/app/current is switched.
Afterwards everything is put back: the repository's branches, /srv/app, the secrets file,
and the logs of the hidden commits.
"""

import hashlib
import hmac
import secrets

import pytest

BARE = "/srv/git/shop.git"
APP = "/srv/app"
CURRENT = "/srv/app/current"
SECRETS = "/etc/ci/secrets.env"
GIT = "/usr/bin/git"
WATCH_EVENTS = "create,delete,moved_to,moved_from,modify,attrib,close_write"
WRITES = {"CREATE", "MODIFY", "CLOSE_WRITE", "MOVED_TO", "ATTRIB"}


class Play:
    """The hidden pushes and what each left behind."""

    def __init__(self, host):
        self.host = host
        self.error = None
        self.token = secrets.token_hex(20)
        self.nonce = secrets.token_hex(4)
        self.sha, self.push, self.live, self.events, self.server_main = {}, {}, {}, [], {}

    def run(self, cmd, *args):
        return self.host.run(cmd, *args)

    def ok(self, cmd, *args):
        r = self.run(cmd, *args)
        if r.rc != 0:
            raise RuntimeError(f"{cmd % args}: {r.stderr or r.stdout}")
        return r.stdout

    def write(self, rel, text):
        self.ok("/usr/bin/mkdir -p \"$(/usr/bin/dirname %s)\" && printf '%%s' %s > %s",
                f"{self.work}/{rel}", text, f"{self.work}/{rel}")

    def commit(self, message):
        self.ok("cd %s && " + GIT + " add -A && " + GIT + " -c user.name=Dev -c user.email=dev@acme.example "
                "commit -q -m %s", self.work, message)
        return self.ok("cd %s && " + GIT + " rev-parse HEAD", self.work).strip()

    def live_revision(self):
        r = self.run("/usr/bin/cat %s/REVISION", CURRENT)
        return r.stdout.strip() if r.rc == 0 else None

    def do_push(self, name, target, watch=False):
        cmd = "cd %s && /usr/bin/timeout 60 " + GIT + " push origin HEAD:%s"
        if watch:
            # Watch /srv/app (and below) while the push runs; the events come back on stdout.
            cmd = ("/usr/bin/inotifywait -m -r -e %s --format '%%w%%f|%%e' %s > %s 2> %s & w=$!; "
                   "for i in $(seq 100); do /usr/bin/grep -q established %s && break; sleep 0.05; done; "
                   + cmd + " > %s 2>&1; rc=$?; sleep 0.3; kill $w; exit $rc")
            args = (WATCH_EVENTS, APP, f"{self.tmp}/events", f"{self.tmp}/events.err",
                    f"{self.tmp}/events.err", self.work, target, f"{self.tmp}/push.out")
            r = self.run(cmd, *args)
            out = self.host.file(f"{self.tmp}/push.out").content_string
            self.events = self.host.file(f"{self.tmp}/events").content_string.splitlines()
        else:
            r = self.run(cmd, self.work, target)
            out = r.stdout + r.stderr
        self.push[name] = out
        self.live[name] = self.live_revision()
        self.server_main[name] = self.run(GIT + " --git-dir=%s rev-parse -q --verify refs/heads/main", BARE).stdout.strip()

    def play(self):
        self.tmp = self.ok("/usr/bin/mktemp -d /var/tmp/.opslab-check.XXXXXX").strip()
        self.work = f"{self.tmp}/w"
        self.main0 = self.run(GIT + " --git-dir=%s rev-parse --verify -q refs/heads/main", BARE).stdout.strip()
        if not self.main0:
            self.error = f"the git server {BARE} has no main branch"
            return
        self.ok("/usr/bin/cp -a %s %s/app.bak", APP, self.tmp)
        self.had_secrets = self.run("/usr/bin/cp -a %s %s/secrets.bak", SECRETS, self.tmp).rc == 0
        self.ok("/usr/bin/install -d -m 0755 /etc/ci && { /usr/bin/grep -v '^DEPLOY_TOKEN=' %s 2>/dev/null; "
                "printf 'DEPLOY_TOKEN=%%s\\n' %s; } > %s.new && /usr/bin/chmod 0600 %s.new && "
                "/usr/bin/mv -f %s.new %s", SECRETS, self.token, SECRETS, SECRETS, SECRETS, SECRETS)
        if self.run(GIT + " clone -q %s %s", BARE, self.work).rc != 0:
            self.error = f"the repository {BARE} cannot be cloned"
            return
        n = self.nonce
        feature, test = f"app/offer_{n}.py", f"tests/test_offer_{n}.py"
        self.feature_v = {}

        # F: a failing test.
        self.write(f"tests/test_zz_{n}.py",
                   f"import unittest\n\n\nclass Regression{n}Test(unittest.TestCase):\n"
                   "    def test_fails(self):\n        self.assertEqual(1, 2)\n")
        self.sha["F"] = self.commit(f"pricing: regression test {n}")
        self.do_push("F", "main")

        # G: the failing test gone, a feature module with a passing test.
        self.run("/usr/bin/rm -f %s/tests/test_zz_%s.py", self.work, n)

        def feature_code(v):
            return f'"""Offer {n}."""\n\nRATE = {v}\n\n\ndef offer(x):\n    return x * RATE\n'

        def feature_test(v):
            return (f"import unittest\n\nfrom app.offer_{n} import offer\n\n\n"
                    f"class Offer{n}Test(unittest.TestCase):\n    def test_offer(self):\n"
                    f"        self.assertEqual(offer(2), {2 * v})\n")

        for key, v in (("G", 3), ("B", 5), ("G2", 7)):
            if key == "G2":
                self.ok("cd %s && " + GIT + " reset -q --hard %s", self.work, self.sha["G"])
            self.feature_v[key] = feature_code(v)
            self.write(feature, feature_code(v))
            self.write(test, feature_test(v))
            self.sha[key] = self.commit(f"offer {n}: rate {v}")
            target = f"refs/heads/feature/offer-{n}" if key == "B" else "main"
            self.do_push(key, target, watch=(key == "G2"))

        # What the last two releases hold, read back through the release folders.
        self.release = {}
        for key in ("G", "G2"):
            base = f"{APP}/releases/{self.sha[key]}"
            self.release[key] = {
                "revision": self.run("/usr/bin/cat %s/REVISION", base),
                "feature": self.run("/usr/bin/cat %s/%s", base, feature),
            }
        self.current_is_link = self.host.file(CURRENT).is_symlink
        self.current_target = self.run("/usr/bin/readlink -f %s", CURRENT).stdout.strip()
        self.live_feature = self.run("/usr/bin/cat %s/%s", CURRENT, feature)
        self.live_sig = self.run("/usr/bin/cat %s/RELEASE.sig", CURRENT).stdout.strip()
        self.live_rev_bytes = self.run("/usr/bin/cat %s/REVISION", CURRENT).stdout.encode()
        self.status = {k: self.run("/usr/bin/cat /var/lib/ci/status/%s", s).stdout.strip()
                       for k, s in self.sha.items()}
        self.logs = {k: self.run("/usr/bin/cat /var/log/ci/%s.log", s) for k, s in self.sha.items()}

    def restore(self):
        if not hasattr(self, "tmp"):
            return
        t = self.tmp
        self.run("[ -d %s/app.bak ] && /usr/bin/rm -rf %s && /usr/bin/mv %s/app.bak %s", t, APP, t, APP)
        if getattr(self, "had_secrets", False):
            self.run("/usr/bin/mv -f %s/secrets.bak %s", t, SECRETS)
        if getattr(self, "main0", ""):
            self.run(GIT + " --git-dir=%s update-ref refs/heads/main %s", BARE, self.main0)
            self.run(GIT + " --git-dir=%s update-ref -d refs/heads/feature/offer-%s", BARE, self.nonce)
            self.run(GIT + " --git-dir=%s prune --expire=now", BARE)
        for s in self.sha.values():
            self.run("/usr/bin/rm -rf /var/log/ci/%s.log /var/lib/ci/status/%s /var/lib/ci/builds/%s", s, s, s)
        self.run("/usr/bin/rm -rf %s", t)


@pytest.fixture(scope="module")
def play(host):
    p = Play(host)
    try:
        p.play()
    except RuntimeError as e:
        p.error = f"the checks could not push a test commit: {str(e).splitlines()[0][:200]}"
    finally:
        p.restore()
    return p


def ready(play, *keys):
    assert not play.error, play.error
    for k in keys:
        assert k in play.push, "the checks could not push all their test commits"


def short(s):
    return s[:12] if s else "nothing"


def same(live, sha):
    """Is the live REVISION this commit (a full id, or an abbreviated one)?"""
    return bool(live) and len(live) >= 7 and sha.startswith(live)


# --- tests-gate ------------------------------------------------------------------------

@pytest.mark.task("tests-gate")
def test_commit_with_a_failing_test_does_not_go_live(play):
    ready(play, "F")
    assert not same(play.live["F"], play.sha["F"]), (
        "a commit to main whose unit tests fail went live: the pipeline does not stop on failing tests"
    )


@pytest.mark.task("tests-gate")
def test_pipeline_reports_the_failing_test(play):
    ready(play, "F")
    status = play.status["F"]
    rejected = play.server_main["F"] != play.sha["F"]  # a pre-receive gate turned the push down
    assert rejected or status.startswith("failed:"), (
        f"the pipeline for a commit with a failing unit test did not fail (ci-run status: {status or 'none'})"
    )


@pytest.mark.task("tests-gate")
def test_passing_commit_still_goes_live(play):
    ready(play, "G")
    assert same(play.live["G"], play.sha["G"]), (
        "after the failing test was removed again, a commit whose tests all pass did not go live"
    )


# --- deploy-main -----------------------------------------------------------------------

@pytest.mark.task("deploy-main")
def test_good_commit_on_main_goes_live(play):
    ready(play, "G")
    assert play.live["G"] == play.sha["G"], (
        f"after a good commit {short(play.sha['G'])} was pushed to main, {CURRENT}/REVISION says "
        f"{short(play.live['G'])}: the live release is not that commit (REVISION holds the full commit id)"
    )


@pytest.mark.task("deploy-main")
def test_other_branches_do_not_go_live(play):
    ready(play, "B")
    assert not same(play.live["B"], play.sha["B"]), "a commit pushed to a feature branch went live"


@pytest.mark.task("deploy-main")
def test_live_code_is_the_pushed_code(play):
    ready(play, "G2")
    assert play.live_feature.rc == 0 and play.live_feature.stdout == play.feature_v["G2"], (
        f"after a commit to main changed a module, {CURRENT} does not serve that commit's code"
    )


# --- atomic-release --------------------------------------------------------------------

@pytest.mark.task("atomic-release")
def test_current_links_to_the_release_folder(play):
    ready(play, "G2")
    want = f"{APP}/releases/{play.sha['G2']}"
    assert play.current_is_link and play.current_target == want, (
        f"{CURRENT} must be a symbolic link to the live release's folder, {APP}/releases/<full commit id>"
    )


def _current_events(play):
    return [(path, set(ev.split(","))) for path, _, ev in (e.partition("|") for e in play.events)
            if path == CURRENT]


@pytest.mark.task("atomic-release")
def test_current_is_switched_in_one_step(play):
    ready(play, "G2")
    events = _current_events(play)
    assert events, f"the checks saw no change to {CURRENT} while a good commit was deployed"
    assert not any("DELETE" in ev for _, ev in events), (
        f"{CURRENT} was deleted and made again during a deploy: for a moment there was no live release"
    )
    assert any("MOVED_TO" in ev for _, ev in events), (
        f"{CURRENT} was not replaced in one step (a rename) during a deploy"
    )


@pytest.mark.task("atomic-release")
def test_release_is_complete_before_it_goes_live(play):
    ready(play, "G2")
    release = f"{APP}/releases/{play.sha['G2']}/"
    switched = False
    for path, _, ev in (e.partition("|") for e in play.events):
        if path == CURRENT and "MOVED_TO" in ev.split(","):
            switched = True
        elif switched and path.startswith(release) and WRITES & set(ev.split(",")):
            raise AssertionError(f"{CURRENT} pointed to the new release before it was complete "
                                 "(files were still being written into it)")


@pytest.mark.task("atomic-release")
def test_previous_release_is_kept(play):
    ready(play, "G2")
    prev = play.release["G"]
    assert prev["revision"].rc == 0 and prev["revision"].stdout.strip() == play.sha["G"] \
        and prev["feature"].stdout == play.feature_v["G"], (
            f"the previous release is gone from {APP}/releases (or changed): there is nothing to roll back to"
        )


# --- secrets-safe ----------------------------------------------------------------------

@pytest.mark.task("secrets-safe")
def test_pipeline_logs_do_not_show_the_deploy_token(play):
    ready(play, "F", "G", "B", "G2")
    log = play.logs["G2"]
    assert log.rc == 0 and "--- stage" in log.stdout, (
        "ci-run left no log for a deployed commit in /var/log/ci: the pipeline must run through ci-run"
    )
    leaked = [k for k, r in play.logs.items() if play.token in r.stdout or play.token[:16] in r.stdout]
    assert not leaked, "the deploy token appears in the CI logs in /var/log/ci"


@pytest.mark.task("secrets-safe")
def test_push_output_does_not_show_the_deploy_token(play):
    ready(play, "F", "G", "B", "G2")
    leaked = [k for k, out in play.push.items() if play.token[:16] in out]
    assert not leaked, "the deploy token is printed to the developer's terminal when they push"


@pytest.mark.task("secrets-safe")
def test_live_release_is_signed_with_the_deploy_token(play):
    ready(play, "G2")
    want = hmac.new(play.token.encode(), play.live_rev_bytes, hashlib.sha256).hexdigest()
    assert play.live_rev_bytes and hmac.compare_digest(play.live_sig, want), (
        f"{CURRENT}/RELEASE.sig is not the HMAC of REVISION with the DEPLOY_TOKEN of /etc/ci/secrets.env: "
        "the app loader would refuse this release"
    )


RUNNER_TOOLS = ("/usr/bin/ci-run", "/usr/bin/python3.11", "/usr/bin/bash", "/usr/bin/git", "/usr/bin/openssl")
PYTHON_DIRS = ("/usr/lib/python3", "/usr/local/lib/python3", "/etc/python3")


@pytest.mark.task("secrets-safe")
def test_runner_is_as_installed(modified, changes):
    changed = [t for t in RUNNER_TOOLS if modified(t)]
    assert not changed, f"{changed[0]} was changed: fix the pipeline, not the runner and the tools it uses"
    touched = [p for p in changes() if p.startswith(PYTHON_DIRS)]
    assert not touched, f"the system's Python was changed ({touched[0]}): fix the pipeline, not the runner"
