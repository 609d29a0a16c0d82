"""Grade the appsvc playbook: reset the host to its starting state, run the playbook twice,
then judge the two runs and the state they leave behind.

The reset matters: without it a playbook that does nothing would be "idempotent" and a host
configured by hand would look "correct". Judging the state after the *second* run catches
tasks that append on every run even when they hide it with `changed_when: false`.
"""

import re
import secrets
import shlex
from dataclasses import dataclass
from pathlib import PurePosixPath

import pytest

# A fixed environment: the candidate's shell profile and ANSIBLE_* variables never apply; the
# settings are the grader's own (ansible.cfg in /root/site or ~ is not read), every plugin
# path points nowhere (environment variables outrank any config a playbook could write),
# the connection and interpreters are pinned by extra vars (the strongest precedence), Python
# runs isolated (-I: no script folder or user site on sys.path), and the stdout callback is
# the built-in one so the PLAY RECAP has a known format.
GRADER_CFG = f"/tmp/opslab-grader-{secrets.token_hex(8)}.cfg"  # drawn per grading: nothing waits there
NO_PLUGINS = "/nonexistent/opslab-no-plugins"
PLUGIN_PATHS = " ".join(f"ANSIBLE_{kind}={NO_PLUGINS}" for kind in (
    "ACTION_PLUGINS", "BECOME_PLUGINS", "CACHE_PLUGINS", "CALLBACK_PLUGINS", "CLICONF_PLUGINS", "CONNECTION_PLUGINS",
    "FILTER_PLUGINS", "HTTPAPI_PLUGINS", "INVENTORY_PLUGINS", "LOOKUP_PLUGINS", "NETCONF_PLUGINS", "STRATEGY_PLUGINS",
    "TERMINAL_PLUGINS", "TEST_PLUGINS", "VARS_PLUGINS", "LIBRARY", "MODULE_UTILS", "COLLECTIONS_PATH", "ROLES_PATH"))
# ansible-playbook, with Jinja sandboxed: Ansible renders templates in its own process, where
# `{{ lipsum.__globals__ ... }}` could reach Python and rewrite the recap; in Jinja's sandbox
# such attribute access is refused, and playbooks that only template values run as before.
SANDBOXED_ANSIBLE_PLAYBOOK = """
import sys
from jinja2.sandbox import SandboxedEnvironment
import ansible.template as t
class SandboxedAnsibleEnvironment(SandboxedEnvironment, t.AnsibleEnvironment): pass
class SandboxedAnsibleNativeEnvironment(SandboxedEnvironment, t.AnsibleNativeEnvironment): pass
t.AnsibleEnvironment, t.AnsibleNativeEnvironment = SandboxedAnsibleEnvironment, SandboxedAnsibleNativeEnvironment
sys.argv[0] = "/usr/bin/ansible-playbook"
from ansible.cli.playbook import main
sys.exit(main())
"""
PLAYBOOK = (
    f"cd /root/site && /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "
    f"ANSIBLE_CONFIG={GRADER_CFG} {PLUGIN_PATHS} ANSIBLE_STDOUT_CALLBACK=ansible.builtin.default "
    "ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 /usr/bin/timeout 40 "
    f"/usr/bin/python3 -I -c {shlex.quote(SANDBOXED_ANSIBLE_PLAYBOOK)} "
    "-i inventory.ini -e ansible_connection=local -e ansible_python_interpreter=/usr/bin/python3 "
    "-e ansible_shell_executable=/bin/sh site.yml"
)
# "localhost : ok=9 changed=8 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0"
RECAP_LINE = re.compile(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$")
MANAGED_PATHS = ["/var/lib/appsvc", "/etc/appsvc", "/etc/security/limits.d/appsvc.conf", "/etc/cron.d/appsvc"]
# Where the playbook acts (accounts live in /etc too); read through the engine between the
# two runs, so the verdict on the second run does not rest on what Ansible reports.
WATCHED = ["/etc", "/var/lib/appsvc", "/usr/local/bin"]
# What ansible-playbook is made of: a candidate is root and could swap any of it for code that
# prints a clean recap. The engine says whether each changed since the image.
ANSIBLE_ITSELF = ["/usr/bin/ansible-playbook", "/usr/bin/python3", "/usr/bin/python3.11", "/usr/bin/env",
                  "/usr/bin/timeout", "/usr/lib/python3", "/usr/lib/python3.11", "/usr/local/lib/python3.11",
                  "/etc/python3.11", "/usr/share/ansible", "/root/.local/lib"]


@dataclass
class TwoRuns:
    first: "Run"
    second: "Run"
    rewritten: list  # paths the second run added, changed or removed, per the engine
    links: list  # managed paths that are symbolic links (a rewrite behind one would not show)
    seen_between: list  # what changed since the image, read between the two runs


@dataclass
class Run:
    rc: int
    stats: dict  # from the PLAY RECAP: {host: {ok, changed, failed, unreachable, ...}}
    stderr: str

    @property
    def changed(self) -> int:
        return sum(s.get("changed", 0) for s in self.stats.values())

    @property
    def clean(self) -> bool:
        """Ran to the end on at least one host with no failed or unreachable host."""
        return (self.rc == 0 and bool(self.stats)
                and all(s.get("failed", 0) == 0 and s.get("unreachable", 0) == 0 for s in self.stats.values()))


def _run(host) -> Run:
    cmd = host.run(PLAYBOOK)
    stats = {}
    _, recap_found, recap = cmd.stdout.rpartition("PLAY RECAP")
    for line in recap.splitlines() if recap_found else []:
        m = RECAP_LINE.match(line.strip())
        if m:
            stats[m.group(1)] = {k: int(v) for k, v in (kv.split("=") for kv in m.group(2).split())}
    return Run(cmd.rc, stats, cmd.stderr)


@pytest.fixture(scope="module")
def runs(host, lab_dir, snapshot, changes):
    """Reset what the playbook manages, then run it twice in a row."""
    original_default = (lab_dir / "files" / "appsvc.default").read_text()
    host.run("/usr/sbin/userdel -f appsvc; /usr/sbin/groupdel appsvc; /usr/sbin/groupdel metrics; "
             "/bin/rm -rf " + " ".join(MANAGED_PATHS))
    host.run("/usr/bin/printf '%%s' %s > /etc/default/appsvc", original_default)
    assert not host.user("appsvc").exists, "the grader could not reset the host (user appsvc remains)"
    assert host.run(f"/usr/bin/printf '[defaults]\\n' > {GRADER_CFG}").rc == 0, "the grader could not write its config"
    first = _run(host)
    seen_between = changes()
    # A file of the grader's in each managed folder: a run that deletes and recreates the
    # folder (even when it reports nothing) takes it away, and the snapshots show that.
    marker = f".opslab-{secrets.token_hex(6)}"
    host.run("for d in /var/lib/appsvc /var/lib/appsvc/data /etc/appsvc; do "
             "[ -d $d ] && [ ! -L $d ] && /usr/bin/touch $d/%s; done", marker)
    before = snapshot(*WATCHED)
    second = _run(host)
    after = snapshot(*WATCHED)
    host.run(f"/bin/rm -f {GRADER_CFG} /var/lib/appsvc/{marker} /var/lib/appsvc/data/{marker} /etc/appsvc/{marker}")
    links = sorted(p for p, f in {**before, **after}.items()
                   if f[0] == "link" and any(p == m or p.startswith(m + "/") for m in MANAGED_PATHS))
    before, after = _state(before), _state(after)
    rewritten = sorted({p.replace(f"/{marker}", " (deleted and made again)")
                        for p in before.keys() | after.keys() if before.get(p) != after.get(p)})
    return TwoRuns(first, second, rewritten, links, seen_between)


def _state(facts: dict) -> dict:
    """What a run can change: a folder's time moves when a temporary file comes and goes in
    it, which changes nothing anyone relies on, so folders count by owner and mode only."""
    return {p: f[:5] if f[0] == "dir" else f for p, f in facts.items()}


def _shortlist(paths: list[str]) -> str:
    return ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")


def _is_plugin(name: str) -> bool:
    """Folders Ansible loads code from, and files Python runs at start-up."""
    return (name.endswith("_plugins") or name in ("library", "module_utils", "ansible_collections", "plugins")
            or name in ("sitecustomize.py", "usercustomize.py") or name.endswith(".pth"))


# -- all tasks --------------------------------------------------------------------------------

@pytest.mark.task("playbook-runs")
@pytest.mark.task("state-correct")
@pytest.mark.task("idempotent")
def test_the_playbook_ran_on_ansible_as_installed(runs, modified, changes):
    # After the runs, so that a change made while they ran shows too (the engine keeps it).
    changed = [p for p in ANSIBLE_ITSELF if modified(p)]
    assert not changed, (
        f"{_shortlist(changed)} changed since the host was built: the grader runs the Ansible and Python "
        "that came with the host; reinstall what you changed")
    # Plugin folders next to a playbook or role run inside ansible-playbook, where they could
    # rewrite its report; this lab is about playbooks, so only Ansible's own code may run.
    plugins = sorted({str(PurePosixPath(*PurePosixPath(p).parts[:i + 1]))
                      for p in runs.seen_between + changes()
                      for i, part in enumerate(PurePosixPath(p).parts) if _is_plugin(part)})
    assert not plugins, (
        f"{_shortlist(plugins)}: custom modules and plugins are not part of this lab; "
        "use Ansible's built-in modules only")


def _lines(host, path: str) -> list[str]:
    """The meaningful lines of a file: no blanks, no comments."""
    f = host.file(path)
    if not f.is_file:
        return []
    return [ln.strip() for ln in f.content_string.splitlines() if ln.strip() and not ln.strip().startswith("#")]


# -- playbook-runs ----------------------------------------------------------------------------

@pytest.mark.task("playbook-runs")
def test_playbook_runs_to_the_end_without_errors(runs):
    first = runs.first
    assert first.stats or first.rc != 0, "ansible-playbook site.yml (in /root/site) ran no task on the host"
    assert first.clean, (
        "ansible-playbook site.yml (in /root/site) does not finish cleanly on a fresh host: "
        "run it and read the first failed task")


# -- state-correct ----------------------------------------------------------------------------

@pytest.mark.task("state-correct")
def test_appsvc_is_a_system_account_without_login(runs, host):
    user = host.user("appsvc")
    assert user.exists, "after the playbook runs there is no user appsvc"
    assert user.uid < 1000, "appsvc should be a system account (uid below 1000)"
    assert user.shell == "/usr/sbin/nologin", "appsvc should have the shell /usr/sbin/nologin"
    assert user.home == "/var/lib/appsvc", "appsvc's home should be /var/lib/appsvc"


@pytest.mark.task("state-correct")
def test_appsvc_is_in_the_metrics_group(runs, host):
    assert "metrics" in host.user("appsvc").groups, "after the playbook runs appsvc is not in the group metrics"


@pytest.mark.task("state-correct")
def test_data_directory_belongs_to_appsvc(runs, host):
    for path in ("/var/lib/appsvc", "/var/lib/appsvc/data"):
        d = host.file(path)
        assert d.is_directory, f"after the playbook runs {path} is not a directory"
        assert d.user == "appsvc" and d.group == "appsvc", f"{path} should be owned by appsvc:appsvc"


@pytest.mark.task("state-correct")
def test_configuration_is_rendered(runs, host):
    lines = _lines(host, "/etc/appsvc/appsvc.conf")
    assert lines, "after the playbook runs /etc/appsvc/appsvc.conf is missing or empty"
    settings = {k.strip(): v.strip() for k, _, v in (ln.partition("=") for ln in lines)}
    expected = {"listen": "0.0.0.0:9100", "workers": "4", "data_dir": "/var/lib/appsvc/data"}
    assert settings == expected, "/etc/appsvc/appsvc.conf does not hold exactly the listen, workers and data_dir settings"


@pytest.mark.task("state-correct")
def test_open_file_limit_is_set_once(runs, host):
    lines = _lines(host, "/etc/security/limits.d/appsvc.conf")
    assert [ln.split() for ln in lines] == [["appsvc", "soft", "nofile", "65536"]], (
        "after two runs /etc/security/limits.d/appsvc.conf should hold the appsvc nofile limit exactly once")


@pytest.mark.task("state-correct")
def test_log_level_is_info_once(runs, host):
    levels = [ln for ln in _lines(host, "/etc/default/appsvc") if ln.startswith("LOG_LEVEL")]
    assert levels == ["LOG_LEVEL=info"], (
        "after two runs /etc/default/appsvc should set LOG_LEVEL exactly once, to info")


@pytest.mark.task("state-correct")
def test_other_defaults_are_kept(runs, host):
    lines = _lines(host, "/etc/default/appsvc")
    for setting in ('APPSVC_OPTS="--color=never"', "APPSVC_TMPDIR=/var/tmp"):
        assert setting in lines, "the playbook should change only LOG_LEVEL in /etc/default/appsvc, not the other settings"


@pytest.mark.task("state-correct")
def test_nightly_report_job_is_installed_once(runs, host):
    # Ignore variable assignments (SHELL=..., MAILTO=...): only job lines count.
    jobs = [ln.split() for ln in _lines(host, "/etc/cron.d/appsvc") if "=" not in ln.split()[0]]
    assert jobs == [["30", "2", "*", "*", "*", "appsvc", "/usr/local/bin/appsvc-report"]], (
        "after two runs /etc/cron.d/appsvc should hold the nightly report job exactly once (02:30, as appsvc)")


# -- idempotent -------------------------------------------------------------------------------

@pytest.mark.task("idempotent")
def test_second_run_changes_nothing(runs):
    first, second = runs.first, runs.second
    assert first.clean and second.clean, "the playbook has to run cleanly twice in a row before it can be idempotent"
    assert second.changed == 0, (
        f"a second run in a row still reports changed={second.changed}: some tasks act again instead of "
        "checking the state first")


@pytest.mark.task("idempotent")
def test_second_run_leaves_the_host_as_the_first_left_it(runs):
    assert runs.first.clean and runs.second.clean, "the playbook has to run cleanly twice in a row"
    assert not runs.links, (
        f"{_shortlist(runs.links)} is a symbolic link: keep what the playbook manages as real files and folders")
    assert not runs.rewritten, (
        f"a second run in a row still rewrites {_shortlist(runs.rewritten)}: whatever it reports, "
        "a task acts on the host again instead of checking the state first")


@pytest.mark.task("idempotent")
def test_first_run_on_a_fresh_host_reports_its_changes(runs):
    first = runs.first
    assert first.clean and first.changed > 0, (
        "on a fresh host the first run reports no changes: the playbook must really configure the host "
        "and report what it changed")
