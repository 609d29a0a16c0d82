"""Checks for nginx-broken-site: a valid config with the site enabled, the site served, and
access fixed no wider than needed."""

import re

import pytest

SITE = "/srv/www/acme"
HOSTNAME = "www.acme.example"


def get(host, path):
    """GET a path of the company site from inside the sandbox → (status code, body)."""
    cmd = host.run("/usr/bin/curl -sS -m 5 -H %s -w '%%{http_code}' %s", f"Host: {HOSTNAME}", f"http://127.0.0.1{path}")
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


@pytest.mark.task("config-valid")
def test_nginx_config_test_passes(host):
    cmd = host.run("/usr/sbin/nginx -t")
    assert cmd.rc == 0, "nginx -t still reports an error in the configuration"


@pytest.mark.task("config-valid")
def test_company_site_is_in_the_loaded_configuration(host):
    dump = host.run("/usr/sbin/nginx -T").stdout
    enabled = re.search(rf"^\s*server_name\s[^;#]*\b{re.escape(HOSTNAME)}\b", dump, re.MULTILINE)
    assert enabled, f"the configuration nginx loads has no server for {HOSTNAME}; keep the company site enabled"


# --- site-served ----------------------------------------------------------------------

@pytest.mark.task("site-served")
def test_nginx_is_listening_on_port_80(host):
    assert host.socket("tcp://0.0.0.0:80").is_listening, "nothing is listening on port 80: is nginx running?"
    # Any server could answer on port 80: the kernel says which program holds the socket.
    owners = set(re.findall(r"pid=(\d+)", host.run("/usr/bin/ss -Hltnp 'sport = :80'").stdout))
    programs = {host.run("/usr/bin/readlink /proc/%s/exe", pid).stdout.strip() for pid in owners}
    assert programs == {"/usr/sbin/nginx"}, (
        f"port 80 is held by {', '.join(sorted(programs - {'/usr/sbin/nginx'})) or 'something else'}, not nginx")


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
