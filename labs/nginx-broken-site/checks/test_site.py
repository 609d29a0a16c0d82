"""Checks for nginx-broken-site: a valid config with the site enabled, the site served, and
access fixed no wider than needed.

The candidate is root and nginx loads code its configuration names (`load_module`), so the
configuration is judged by the grader's own nginx on a copy of /etc/nginx (the `nginx` check
tool), and the nginx serving port 80 must be the one started with that configuration,
mapping nothing but files shipped by the image."""

import re
import tarfile

import pytest

SITE = "/srv/www/acme"
HOSTNAME = "www.acme.example"
# How the master of an nginx started with the lab's configuration names itself: `service
# nginx start`, `nginx`, or either with Debian's own options.
MASTER = re.compile(r"nginx: master process (/usr/sbin/)?nginx"
                    r"( -c /etc/nginx/nginx\.conf| -g daemon on; master_process on;| -q)* ?")
# One exec: for every process holding port 80 and every nginx, its program, whether it holds
# the port, its parent, title and mapped files.
PROCESSES = r"""
ports=" $(/usr/bin/ss -Hltnp 'sport = :80' | /usr/bin/grep -o 'pid=[0-9]*' | /usr/bin/cut -d= -f2 | /usr/bin/tr '\n' ' ')"
/usr/bin/find /proc -mindepth 2 -maxdepth 2 -path '/proc/[0-9]*/exe' -printf '%h %l\n' 2>/dev/null |
while read -r d exe; do
  p=${d#/proc/}
  case "$ports" in *" $p "*) port=1 ;; *) [ "$exe" = /usr/sbin/nginx ] || continue; port=0 ;; esac
  echo "exe $p $exe"
  echo "port $p $port"
  echo "ppid $p $(/usr/bin/awk '/^PPid:/ {print $2}' $d/status)"
  echo "cmd $p $(/usr/bin/tr '\0' ' ' < $d/cmdline)"
  /usr/bin/awk -v p=$p '$6 ~ /^\// {print "map", p, $6, $7}' $d/maps 2>/dev/null | /usr/bin/sort -u
done
"""


def get(host, path):
    """GET a path of the company site from inside the sandbox → (status code, body); `-q`
    first: curl reads no config file of the candidate's."""
    cmd = host.run("/usr/bin/curl -q -sS -m 5 -H %s -w '%%{http_code}' %s", f"Host: {HOSTNAME}", f"http://127.0.0.1{path}")
    out = cmd.stdout
    return (int(out[-3:]) if cmd.rc == 0 and out[-3:].isdigit() else 0), out[:-3]


def as_www_data(host, command, *args):
    """Run a command as nginx's worker user (uid, gid and groups of www-data)."""
    return host.run("/usr/bin/setpriv --reuid=www-data --regid=www-data --init-groups " + command, *args)


def shortlist(lines):
    paths = [p for p in lines.splitlines() if p.strip()]
    return ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")


# --- config-valid ---------------------------------------------------------------------

@pytest.mark.task("config-valid")
def test_nginx_binary_is_the_packaged_one(modified):
    # The candidate is root: the engine, not a checksum list they could rewrite, says whether
    # the binary changed since the image.
    assert not modified("/usr/sbin/nginx"), (
        "/usr/sbin/nginx is not the binary the nginx package installed; reinstall it and fix the configuration instead"
    )


@pytest.fixture(scope="session")
def host_config_test(host):
    """The host's own `nginx -t`: a failure is final, a pass only a claim (a module of the
    candidate's could answer for it)."""
    return host.run("/usr/sbin/nginx -t")


@pytest.fixture(scope="session")
def judged_config(request, copy_out, host_config_test):
    """`nginx -T` by the grader's own nginx, in a box, on a copy of the host's /etc/nginx: it
    fails when the configuration does, and loads no module the image does not ship. None when
    the host's own `nginx -t` fails already (the box is started only when it can decide)."""
    if host_config_test.rc != 0:
        return None
    try:
        conf = copy_out("/etc/nginx")
    except tarfile.FilterError as e:
        raise AssertionError(f"/etc/nginx links to files outside it ({e}); keep the configuration inside /etc/nginx") from None
    return request.getfixturevalue("nginx")(str(conf), "-T", cwd=conf.parent)


@pytest.mark.task("config-valid")
def test_nginx_config_test_passes(judged_config):
    assert judged_config and judged_config.rc == 0, "nginx -t still reports an error in the configuration"


@pytest.mark.task("config-valid")
def test_company_site_is_in_the_loaded_configuration(judged_config):
    dump = judged_config.stdout if judged_config and judged_config.rc == 0 else ""
    enabled = re.search(rf"^\s*server_name\s[^;#]*\b{re.escape(HOSTNAME)}\b", dump, re.MULTILINE)
    assert enabled, f"the configuration nginx loads has no server for {HOSTNAME}; keep the company site enabled"


# --- site-served ----------------------------------------------------------------------

@pytest.fixture(scope="session")
def processes(host) -> dict:
    """{pid: {"exe", "port", "ppid", "cmd", "maps"}} for every process holding port 80
    (port "1") and every nginx, as the kernel tells it (one exec)."""
    procs: dict[str, dict] = {}
    for line in host.run(PROCESSES).stdout.splitlines():
        kind, pid, value = (line.split(" ", 2) + ["", ""])[:3]
        proc = procs.setdefault(pid, {"exe": "", "port": "", "ppid": "", "cmd": "", "maps": set()})
        if kind == "map":
            proc["maps"].add(value.strip())
        elif kind in proc:
            proc[kind] = value.strip()
    return procs


def masters(procs: dict, port_only: bool) -> set[str]:
    """nginx masters (an nginx whose parent is no nginx), of port 80's holders or of all."""
    return {pid for pid, p in procs.items() if p["exe"] == "/usr/sbin/nginx" and p["ppid"] not in procs
            and (p["port"] == "1" or not port_only)}


@pytest.mark.task("site-served")
def test_nginx_is_listening_on_port_80(host, processes):
    assert host.socket("tcp://0.0.0.0:80").is_listening, "nothing is listening on port 80: is nginx running?"
    # Any server could answer on port 80: the kernel says which program holds the socket.
    programs = {p["exe"] for p in processes.values() if p["port"] == "1"}
    assert programs == {"/usr/sbin/nginx"}, (
        f"port 80 is held by {', '.join(sorted(programs - {'/usr/sbin/nginx'})) or 'something else'}, not nginx")


@pytest.mark.task("site-served")
def test_nginx_on_port_80_runs_the_lab_configuration(processes):
    # A second nginx with a configuration of its own (`-c`, `-g include …`) could serve a copy.
    on_80 = masters(processes, port_only=True)
    assert on_80 and all(MASTER.fullmatch(processes[pid]["cmd"]) for pid in on_80), (
        "the nginx on port 80 was not started with /etc/nginx/nginx.conf; start it with `service nginx start`")


@pytest.mark.task("site-served")
@pytest.mark.task("permissions-tight")
def test_nginx_loads_nothing_foreign(processes, modified):
    # A module of the candidate's (`load_module`) runs as root in the master before workers
    # start, and could serve or guard anything: every file an nginx master maps must be as the
    # image shipped it (nginx's shared memory zones show as "/dev/zero (deleted)").
    running = masters(processes, port_only=False)
    assert running, "nginx is not running"
    foreign = sorted({m for pid in running for m in processes[pid]["maps"] if m != "/dev/zero (deleted)"
                      and (" " in m or not m.startswith("/usr/") or modified(m))})
    assert not foreign, f"nginx loads {foreign[0]}, which is not part of the system's nginx"


@pytest.mark.task("site-served")
def test_home_page_answers_200(host):
    status, _ = get(host, "/")
    assert status == 200, f"http://{HOSTNAME}/ answers {status or 'nothing'} instead of 200"


@pytest.mark.task("site-served")
def test_published_files_are_served_unchanged(host, lab_dir):
    for path in ("/index.html", "/catalogue.html", "/css/site.css", "/img/logo.svg"):
        status, body = get(host, path)
        published = (lab_dir / "files" / "site" / path.lstrip("/")).read_text()
        assert status == 200 and body == published, (
            f"http://{HOSTNAME}{path} does not serve the published file (HTTP {status or 'no answer'})"
        )


# --- permissions-tight ----------------------------------------------------------------

@pytest.mark.task("permissions-tight")
def test_nginx_workers_run_as_www_data(host):
    nginx = host.process.filter(comm="nginx")
    pids = {p.pid for p in nginx}
    workers = [p for p in nginx if p.ppid in pids]
    assert workers, "no nginx worker processes are running"
    assert all(p.user == "www-data" for p in workers), (
        "nginx workers do not run as www-data; keep the worker user as it was"
    )


@pytest.mark.task("permissions-tight")
def test_www_data_can_read_the_whole_site(host):
    cmd = as_www_data(host, "/usr/bin/find %s \\( -type d ! -executable -o ! -readable \\) -print", SITE)
    assert cmd.rc == 0 and not cmd.stdout.strip(), (
        f"www-data cannot read everything in {SITE}: {shortlist(cmd.stdout) or 'some folders cannot be entered'}"
    )


@pytest.mark.task("permissions-tight")
def test_www_data_cannot_change_the_site(host):
    # Folders www-data cannot enter make find complain; what it cannot reach it cannot change.
    cmd = as_www_data(host, "/usr/bin/find %s -writable -print", SITE)
    assert not cmd.stdout.strip(), (
        f"the web server's user can change the site: {shortlist(cmd.stdout) or SITE}"
    )


@pytest.mark.task("permissions-tight")
def test_nothing_in_the_site_is_world_writable(host):
    cmd = host.run("/usr/bin/find %s ! -type l -perm -o+w -print", SITE)
    assert cmd.rc == 0 and not cmd.stdout.strip(), f"world-writable: {shortlist(cmd.stdout) or SITE}"


@pytest.mark.task("permissions-tight")
def test_deploy_can_still_publish_the_site(host):
    cmd = host.run("/usr/bin/setpriv --reuid=deploy --regid=deploy --init-groups /usr/bin/find %s ! -writable -print", SITE)
    assert cmd.rc == 0 and not cmd.stdout.strip(), (
        f"deploy, who publishes the site, can no longer update: {shortlist(cmd.stdout) or SITE}"
    )
