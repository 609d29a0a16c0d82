"""Checks for least-privilege-accounts: what deploy, the admins, the shared account and the
orders service can really do. The service account's name is drawn per attempt
(`params: service_user`).

sudo cannot elevate inside the sandbox (the no_new_privs flag is set), so sudo's own policy
engine is asked as root (`sudo -l -U user [command]`, the real sudoers rules with aliases and
groups resolved) by absolute path, which the grader refuses to use once it is changed. File
access is tried as the account itself with setpriv; account databases and key files are
copied out through the engine and read on the grader's side.
"""

import json
import re
import secrets
import time

import pytest

SUDO = "/usr/bin/sudo"
SERVICE_CMD = "/usr/sbin/service orders restart"
LOG_CMD = "/usr/bin/tail -n 200 /var/log/orders/orders.log"
ALLOWED = {SERVICE_CMD, LOG_CMD}
ORDERSD = "/opt/orders/ordersd.py"
PEOPLE = ("alice", "bob")
ADMIN_GROUPS = {"root", "sudo", "adm", "shadow", "disk", "staff", "wheel", "admin"}

# What deploy must not be allowed, asked of sudo one by one (the pipeline never runs these).
DENIED = [
    "/bin/sh",
    "/usr/bin/bash -i",
    "/usr/bin/id",
    "/usr/sbin/service orders stop",
    "/usr/sbin/service cron restart",
    "/usr/sbin/service orders restart now",
    "/usr/bin/tail -n 200 /etc/shadow",
    "/usr/bin/tail -n 200 /var/log/orders/orders.log /etc/shadow",
    "/usr/bin/tail -n 200 /var/log/orders/../../../etc/shadow",
    "/usr/bin/tail -n 200 -f /var/log/orders/orders.log",
    "sudoedit /etc/sudoers.d/deploy",
]
DENIED_AS_OTHERS = [("orders", "/bin/sh"), ("alice", "/usr/bin/id"), ("opsadmin", "/usr/bin/id")]


def sudo_entries(host, user):
    """The sudoers entries that apply to `user`, as sudo itself lists them (aliases resolved):
    [{"runas": [...], "groups": [...], "options": [...], "commands": [...]}]."""
    out = host.run(f"{SUDO} -n -ll -U %s", user).stdout
    entries = []
    for block in re.split(r"^\s*Sudoers entry:.*$", out, flags=re.MULTILINE)[1:]:
        entry = {"runas": [], "groups": [], "options": [], "commands": []}
        section = None
        for line in block.splitlines():
            m = re.match(r"^\s+(RunAsUsers|RunAsGroups|Options):\s*(.*)$", line)
            if m:
                key = {"RunAsUsers": "runas", "RunAsGroups": "groups", "Options": "options"}[m[1]]
                entry[key] = [w.strip() for w in m[2].split(",") if w.strip()]
                section = None
            elif re.match(r"^\s+Commands:\s*$", line):
                section = "commands"
            elif section and line.startswith("\t") and line.strip():
                entry["commands"].append(line.strip())
            elif line.strip() and not line.startswith((" ", "\t")):
                break
        entries.append(entry)
    return entries


def sudo_defaults(host, user):
    out = host.run(f"{SUDO} -n -l -U %s", user).stdout
    m = re.search(r"Matching Defaults entries for [^\n]*:\n((?:[ \t]+[^\n]*\n?)*)", out)
    return [w.strip() for w in (m[1] if m else "").replace("\n", ",").split(",") if w.strip()]


def sudo_allows(host, user, command, runas=None):
    extra = f"-u {runas} " if runas else ""
    return host.run(f"{SUDO} -n -l -U %s {extra}{command}", user).rc == 0


def canonical(command):
    """/sbin/service and /usr/sbin/service are the same program on a merged-/usr system."""
    return re.sub(r"^/(s?bin)/", r"/usr/\1/", command)


def read_db(copy_out, path):
    """{name: fields} of a colon-separated account database, copied out through the engine."""
    rows = {}
    for line in copy_out(path).read_text(errors="replace").splitlines():
        fields = line.split(":")
        if len(fields) > 2 and fields[0]:
            rows[fields[0]] = fields
    return rows


def groups_of(copy_out, user):
    passwd, group = read_db(copy_out, "/etc/passwd"), read_db(copy_out, "/etc/group")
    if user not in passwd:
        return set()
    primary = {g for g, f in group.items() if f[2] == passwd[user][3]}
    return primary | {g for g, f in group.items() if user in f[3].split(",")}


def writable_by(host, user, *paths):
    """What `user` can write under `paths`, tried as that user (uid, gid and groups)."""
    cmd = host.run("/usr/bin/setpriv --reuid=%s --regid=%s --init-groups /usr/bin/find "
                   + " ".join(["%s"] * len(paths)) + " -xdev ! -type l -writable -print 2>/dev/null",
                   user, user, *paths)
    return [p for p in cmd.stdout.splitlines() if p.strip()]


def shortlist(paths):
    return ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")


def where(paths):
    """'3 files under /etc, /opt': how many, and the top folders, without naming them."""
    tops = sorted({"/" + p.strip("/").split("/")[0] for p in paths})
    return f"{len(paths)} file{'s' if len(paths) != 1 else ''} under {', '.join(tops)}"


# --- deploy-scoped --------------------------------------------------------------------------

@pytest.mark.task("deploy-scoped")
@pytest.mark.parametrize("command", [SERVICE_CMD, LOG_CMD])
def test_deploy_may_run_the_pipeline_command_without_a_password(host, command):
    assert sudo_allows(host, "deploy", command), f"sudo does not let deploy run `{command}`; the pipeline needs it"
    granting = [e for e in sudo_entries(host, "deploy") if command in map(canonical, e["commands"])]
    assert any("!authenticate" in e["options"] for e in granting), (
        f"sudo would ask deploy for a password for `{command}`; the pipeline cannot type one")


@pytest.mark.task("deploy-scoped")
def test_deploy_sudo_rules_grant_only_the_pipeline_commands(host):
    extra = sorted({c for e in sudo_entries(host, "deploy") for c in e["commands"] if canonical(c) not in ALLOWED})
    assert not extra, f"sudo still lets deploy run more than the pipeline needs: {shortlist(extra)}"


@pytest.mark.task("deploy-scoped")
def test_deploy_runs_them_only_as_root(host):
    entries = sudo_entries(host, "deploy")
    others = sorted({u for e in entries for u in e["runas"] if u != "root"} | {g for e in entries for g in e["groups"]})
    assert not others, f"deploy's sudo rules let it run commands as other users or groups too: {shortlist(others)}"


@pytest.mark.task("deploy-scoped")
def test_deploy_cannot_run_other_commands_through_sudo(host, params):
    allowed = [c for c in DENIED if sudo_allows(host, "deploy", c)]
    others = [*DENIED_AS_OTHERS, (params["service_user"], "/bin/sh")]
    allowed += [f"-u {u} {c}" for u, c in others if sudo_allows(host, "deploy", c, runas=u)]
    # The commands tried stay hidden: the candidate fixes the rule, not a list of probes.
    assert not allowed, (f"sudo would still let deploy run commands the pipeline never runs "
                         f"({len(allowed)} of {len(DENIED) + len(others)} tried)")


@pytest.mark.task("deploy-scoped")
def test_deploy_cannot_set_the_environment_of_what_it_runs(host):
    defaults = sudo_defaults(host, "deploy")
    options = {o for e in sudo_entries(host, "deploy") for o in e["options"]}
    loose = [d for d in defaults if d in ("!env_reset", "setenv") or re.match(r"env_keep\s*\+?=.*\b(LD_|PYTHON|PATH\b)", d)]
    assert not loose and "setenv" not in options, (
        "sudo would pass deploy's environment on to what it runs as root (env_reset off, setenv or env_keep)")


@pytest.mark.task("deploy-scoped")
def test_sudo_policy_is_the_packaged_one(modified):
    # sudo itself is refused by the grader once changed; its policy plugin and sudo.conf (which
    # picks the plugin) are checked here: the rules must be judged by the real sudoers policy.
    changed = [p for p in ("/etc/sudo.conf", "/usr/libexec/sudo/sudoers.so", "/usr/libexec/sudo/libsudo_util.so.0.0.0")
               if modified(p)]
    assert not changed, f"{changed[0] if changed else ''} is not as the sudo package installed it; put it back"


@pytest.mark.task("deploy-scoped")
def test_deploy_is_in_no_administrative_group(copy_out):
    admin = sorted(groups_of(copy_out, "deploy") & ADMIN_GROUPS)
    assert not admin, f"deploy is still a member of {', '.join(admin)}"


@pytest.mark.task("deploy-scoped")
def test_deploy_cannot_change_what_root_runs(host):
    writable = writable_by(host, "deploy", "/etc", "/usr", "/opt", "/root")
    assert not writable, f"deploy can change what root reads or runs: {where(writable)}"


# --- admins-individual ----------------------------------------------------------------------

@pytest.mark.task("admins-individual")
@pytest.mark.parametrize("user", PEOPLE)
def test_admin_may_run_anything_as_root_through_sudo(host, user):
    assert sudo_allows(host, user, "/usr/bin/id") and sudo_allows(host, user, "/usr/sbin/service cron restart"), (
        f"{user} cannot administer the host through sudo")


@pytest.mark.task("admins-individual")
@pytest.mark.parametrize("user", PEOPLE)
def test_admin_sudo_asks_for_their_own_password(host, copy_out, user):
    nopasswd = [e for e in sudo_entries(host, user) if "!authenticate" in e["options"]]
    assert not nopasswd, f"sudo lets {user} run commands as root without a password"
    assert "!authenticate" not in sudo_defaults(host, user), f"sudo never asks {user} for a password"
    shadow = read_db(copy_out, "/etc/shadow")
    assert user in shadow and shadow[user][1].startswith("$"), (
        f"{user} has no usable password any more, so cannot answer sudo's prompt")


@pytest.mark.task("admins-individual")
@pytest.mark.parametrize("user", PEOPLE)
def test_admin_logs_in_with_their_own_key(copy_out, snapshot, lab_dir, user):
    passwd = read_db(copy_out, "/etc/passwd")
    assert user in passwd, f"the account {user} is gone"
    uid, home = int(passwd[user][2]), passwd[user][5]
    key = (lab_dir / "files" / "keys" / f"{user}.pub").read_text().split()[1]
    path = f"{home}/.ssh/authorized_keys"
    facts = snapshot(path)
    assert path in facts and facts[path][0] == "file", f"{user} has no {path}"
    assert key in copy_out(path).read_text(errors="replace"), f"{path} does not hold {user}'s key"
    # sshd (StrictModes) ignores the file if others could change it or anything above it.
    for p in (path, f"{home}/.ssh", home):
        kind, mode, owner = (snapshot(p).get(p) or ("missing", 0, -1))[:3]
        assert owner in (uid, 0) and not mode & 0o022, (
            f"sshd would refuse {path}: {p} is not {user}'s, or others may write to it")


@pytest.mark.task("admins-individual")
def test_personal_keys_open_only_their_owners_accounts(host, copy_out, lab_dir):
    keys = {u: (lab_dir / "files" / "keys" / f"{u}.pub").read_text().split()[1] for u in PEOPLE}
    for name, fields in read_db(copy_out, "/etc/passwd").items():
        path = f"{fields[5].rstrip('/')}/.ssh/authorized_keys"
        if host.run("/usr/bin/test -f %s", path).rc != 0:
            continue
        text = copy_out(path).read_text(errors="replace")
        for owner, key in keys.items():
            assert owner == name or key not in text, f"{owner}'s key still opens the account {name}"


@pytest.mark.task("admins-individual")
def test_shared_account_has_no_sudo_rights(host):
    entries = sudo_entries(host, "opsadmin")
    assert not entries, "sudo still lets opsadmin run commands"


@pytest.mark.task("admins-individual")
def test_shared_account_password_no_longer_works(copy_out):
    shadow = read_db(copy_out, "/etc/shadow")
    if "opsadmin" in shadow:
        fields = shadow["opsadmin"] + [""] * 9
        locked = fields[1].startswith(("!", "*"))
        expired = fields[7].isdigit() and int(fields[7]) <= int(time.time() // 86400)
        assert locked or expired, "opsadmin can still log in with its password"


@pytest.mark.task("admins-individual")
def test_shared_account_is_in_no_administrative_group(copy_out):
    admin = sorted(groups_of(copy_out, "opsadmin") & ADMIN_GROUPS)
    assert not admin, f"opsadmin is still a member of {', '.join(admin)}"


# --- service-own-user -----------------------------------------------------------------------

def wait_healthy(host):
    return host.run("for i in $(seq 60); do /usr/bin/curl -fsS -m 1 http://127.0.0.1:8080/health && exit 0; "
                    "sleep 0.1; done; exit 1")


def ordersd_processes(host):
    """{pid: uid} of the running ordersd processes."""
    out = host.run("/usr/bin/ps -eo pid=,uid=,args=").stdout
    return {int(line.split()[0]): int(line.split()[1]) for line in out.splitlines()
            if ORDERSD in line and "python" in line}


@pytest.fixture(scope="session")
def account(params):
    """The service account this attempt asks for (lab.yaml `params: service_user`)."""
    return params["service_user"]


@pytest.mark.task("service-own-user")
def test_service_account_is_a_system_account_without_login(copy_out, account):
    passwd, shadow = read_db(copy_out, "/etc/passwd"), read_db(copy_out, "/etc/shadow")
    assert account in passwd, f"there is no account named {account}"
    uid, shell = int(passwd[account][2]), passwd[account][6]
    assert 0 < uid < 1000, f"{account} is not a system account (uid {uid})"
    assert shell in ("/usr/sbin/nologin", "/sbin/nologin", "/bin/false", "/usr/bin/false"), (
        f"{account} has a login shell ({shell})")
    assert shadow.get(account, ["", "x"])[1].startswith(("!", "*")), f"{account} has a password"


@pytest.mark.task("service-own-user")
def test_service_account_has_no_privileges(host, copy_out, account):
    admin = sorted(groups_of(copy_out, account) & ADMIN_GROUPS)
    assert not admin, f"{account} is a member of {', '.join(admin)}"
    assert not sudo_entries(host, account), f"sudo lets the {account} account run commands"


@pytest.mark.task("service-own-user")
def test_ordersd_runs_as_its_account_when_restarted_by_its_init_script(host, copy_out, account):
    passwd = read_db(copy_out, "/etc/passwd")
    assert account in passwd, f"there is no account named {account}"
    before = ordersd_processes(host)
    host.run("/usr/sbin/service orders restart")
    assert wait_healthy(host).rc == 0, "after `service orders restart`, ordersd does not answer on port 8080"
    after = ordersd_processes(host)
    assert not set(before) & set(after), (
        "`service orders restart` leaves the running ordersd in place: the init script does not manage it")
    uids = set(after.values())
    assert uids == {int(passwd[account][2])}, (
        f"after `service orders restart`, ordersd does not run as {account}"
        + (" (it runs as root)" if 0 in uids else ""))


@pytest.mark.task("service-own-user")
def test_ordersd_code_is_as_shipped(host, lab_dir):
    shipped = (lab_dir / "files" / "ordersd.py").read_bytes()
    assert host.file(ORDERSD).content == shipped, f"{ORDERSD} is not the code the vendor shipped; restore it"


@pytest.mark.task("service-own-user")
def test_ordersd_stores_orders(host):
    assert wait_healthy(host).rc == 0, "ordersd does not answer on port 8080"
    oid = f"QA-{secrets.token_hex(6)}"
    body = json.dumps({"id": oid, "sku": "ANV-QA", "qty": 1})
    post = host.run("/usr/bin/curl -sS -m 5 -o /dev/null -w '%%{http_code}' -X POST --data %s "
                    "http://127.0.0.1:8080/orders", body)
    try:
        assert post.stdout.strip() == "201", "ordersd cannot store an order (it needs to write /var/lib/orders)"
        stored = host.file("/var/lib/orders/orders.jsonl").content_string
        assert oid in stored, "ordersd answered, but the order is not in /var/lib/orders/orders.jsonl"
    finally:
        host.run("/usr/bin/curl -sS -m 5 -o /dev/null -X DELETE %s", f"http://127.0.0.1:8080/orders/{oid}")


@pytest.mark.task("service-own-user")
def test_service_account_can_change_nothing_but_its_data_and_log(host, copy_out, account):
    assert account in read_db(copy_out, "/etc/passwd"), f"there is no account named {account}"
    writable = writable_by(host, account, "/etc", "/usr", "/opt", "/root", "/home")
    assert not writable, f"the {account} account can change files outside its data and log: {where(writable)}"
