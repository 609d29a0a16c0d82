"""Checks for compose-stack-healthy-startup: the orders stack's docker-compose.yml.

There is no Docker engine in a sandbox, so the stack is judged without running containers:
the grader's own docker-compose (in a throwaway container of the lab image) validates and
resolves the file, once with the candidate's .env and once with a .env of credentials the
candidate never saw; the resolved model is judged in Python (who waits for whom, who shares a
network with whom, what is published, where the data lives); and every health check is run in
the sandbox, with the service's own environment, against a stand-in for the service that the
check starts on the service's port, healthy, not ready, and gone."""

from __future__ import annotations

import re
import secrets
import shlex
import shutil
import string
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

PROJECT = "/srv/orders"
SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|KEY", re.I)
ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*['\"]?([^'\"\s#]*)")

# --- the grader's docker-compose ------------------------------------------------------------

@pytest.fixture(scope="module")
def project(copy_out) -> Path:
    return copy_out(PROJECT)


@pytest.fixture(scope="module")
def toolbox(tmp_path_factory, compose):
    """(work folder, the grader's docker-compose, docker-compose results of this grading run)."""
    return tmp_path_factory.mktemp("compose"), compose, {}


def _render(project: Path, toolbox, env_text: str | None, label: str):
    """docker-compose config on a copy of the project (its .env replaced if env_text is given)
    -> (rc, resolved model or None, stderr)."""
    work, box, _ = toolbox
    dest = work / label
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(project, dest, symlinks=True)
    if env_text is not None:
        (dest / ".env").write_text(env_text)
    res = box("--project-directory", str(dest), "-f", str(dest / "docker-compose.yml"), "config", cwd=dest, timeout=60)
    model = None
    if res.rc == 0:
        try:
            model = yaml.safe_load(res.stdout)
        except yaml.YAMLError:
            model = None
    return res.rc, model, res.stderr


def resolved(project, toolbox) -> dict:
    cache = toolbox[2]
    if "real" not in cache:
        cache["real"] = _render(project, toolbox, None, "real")
    rc, model, err = cache["real"]
    first = " ".join(ln.strip() for ln in err.splitlines() if ln.strip())[:300] or "no output"
    assert rc == 0 and isinstance(model, dict), f"docker-compose rejects docker-compose.yml: {first[:300]}"
    return model


def services(project, toolbox) -> dict:
    return resolved(project, toolbox).get("services") or {}


def networks_of(svc: dict) -> set[str]:
    nets = svc.get("networks")
    if svc.get("network_mode"):
        return {"mode:" + str(svc["network_mode"])}
    return set(nets) if nets else {"default"}


def names_on_network(name: str, svc: dict) -> set[str]:
    """The DNS names a service answers to: its name, hostname, container name, aliases."""
    out = {name}
    for k in ("hostname", "container_name"):
        if svc.get(k):
            out.add(str(svc[k]))
    for cfg in (svc.get("networks") or {}).values() if isinstance(svc.get("networks"), dict) else []:
        out |= set((cfg or {}).get("aliases") or [])
    return out


def env_of(svc: dict) -> dict[str, str]:
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) if "=" in e else (e, None) for e in env)
    return {str(k): str(v) for k, v in env.items() if v is not None}


# --- the stack is still the orders stack (every task) ------------------------------------------

@pytest.mark.task("compose-valid")
@pytest.mark.task("healthy-startup")
@pytest.mark.task("network-layout")
@pytest.mark.task("data-and-secrets")
def test_compose_file_is_valid(project, toolbox):
    resolved(project, toolbox)


@pytest.mark.task("compose-valid")
@pytest.mark.task("healthy-startup")
@pytest.mark.task("network-layout")
@pytest.mark.task("data-and-secrets")
def test_stack_still_runs_the_same_services(project, toolbox):
    svcs = services(project, toolbox)
    want = {"db": "postgres:16.", "cache": "redis:7.", "proxy": "nginx:1.27"}
    for name, image in want.items():
        assert name in svcs and str(svcs[name].get("image", "")).startswith(image), (
            f"the stack no longer runs `{name}` from {image.rstrip('.:')}: keep the services as they are")
    for name in ("api", "worker"):
        ctx = str(((svcs.get(name) or {}).get("build") or {}).get("context", ""))
        assert name in svcs and ctx.rstrip("/").endswith("/api"), f"the stack no longer builds `{name}` from ./api"
    cmd = svcs["worker"].get("command")
    cmd = " ".join(cmd) if isinstance(cmd, list) else str(cmd or "")
    assert "orders.worker" in cmd, "the worker no longer runs `python -m orders.worker`"
    mounts = [str(v) for v in svcs["proxy"].get("volumes") or []]
    assert any("nginx/default.conf" in m and "/etc/nginx/conf.d/default.conf" in m for m in mounts), (
        "the proxy no longer mounts nginx/default.conf as its site configuration")


# --- healthy-startup: health checks, run against stand-ins ------------------------------------

STUB = r"""
import os, socket, socketserver, struct, sys
kind, mode = sys.argv[1], sys.argv[2]
port = {"db": 5432, "cache": 6379, "api": 8000}[kind]

def pg(s):
    while True:
        head = s.recv(8)
        if len(head) < 8:
            return
        n, code = struct.unpack("!ii", head)
        if n > 8:
            s.recv(n - 8)
        if code in (80877103, 80877104):
            s.sendall(b"N")
            continue
        break
    if mode != "up":
        body = b"SFATAL\0C57P03\0Mthe database system is starting up\0\0"
        s.sendall(b"E" + struct.pack("!i", len(body) + 4) + body)
        return
    msg = lambda t, b: t + struct.pack("!i", len(b) + 4) + b
    out = msg(b"R", struct.pack("!i", 0))
    for k, v in (("server_version", "16.4"), ("server_encoding", "UTF8"), ("client_encoding", "UTF8"),
                 ("DateStyle", "ISO, MDY"), ("integer_datetimes", "on"), ("standard_conforming_strings", "on")):
        out += msg(b"S", k.encode() + b"\0" + v.encode() + b"\0")
    out += msg(b"K", struct.pack("!ii", 4242, 4242)) + msg(b"Z", b"I")
    s.sendall(out)
    while True:
        head = s.recv(5)
        if len(head) < 5 or head[:1] == b"X":
            return
        n = struct.unpack("!i", head[1:5])[0]
        if n > 4:
            s.recv(n - 4)
        if head[:1] == b"Q":
            row = msg(b"T", struct.pack("!h", 1) + b"?column?\0" + struct.pack("!ihihih", 0, 0, 23, 4, -1, 0))
            row += msg(b"D", struct.pack("!hi", 1, 1) + b"1") + msg(b"C", b"SELECT 1\0") + msg(b"Z", b"I")
            s.sendall(row)

def redis(s):
    while s.recv(1024):
        s.sendall(b"+PONG\r\n")

def http(s):
    req = s.recv(4096).decode("latin-1")
    path = (req.split(" ") + ["", ""])[1].split("?")[0]
    code = (200 if mode == "up" else 503) if path == "/healthz" else 404
    body = b'{"status": "ok"}' if code == 200 else b'{"status": "failing"}'
    s.sendall(b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
              % (code, len(body), body))

class H(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(3)
        try:
            {"db": pg, "cache": redis, "api": http}[kind](self.request)
        except OSError:
            pass

class TCP(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

class Unix(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True

servers = [TCP(("127.0.0.1", port), H)]
if kind == "db":
    os.makedirs("/run/postgresql", exist_ok=True)
    path = "/run/postgresql/.s.PGSQL.5432"
    if os.path.exists(path):
        os.unlink(path)
    servers.append(Unix(path, H))
import threading
for srv in servers[1:]:
    threading.Thread(target=srv.serve_forever, daemon=True).start()
servers[0].serve_forever()
"""

# Start the stand-in (unless mode is "down"), run the health command with the service's
# environment, report its exit code, stop the stand-in and clean up what it made.
PROBE = r"""
stub=$1 kind=$2 mode=$3 nenv=$4; shift 4
envs=(); for ((i = 0; i < nenv; i++)); do envs+=("$1"); shift; done
made_dir=; [ -d /run/postgresql ] || made_dir=1
pid=
if [ "$mode" != down ]; then
  /usr/bin/python3 -c "$stub" "$kind" "$mode" >/dev/null 2>&1 & pid=$!
  port=$(case $kind in db) echo 5432;; cache) echo 6379;; *) echo 8000;; esac)
  for _ in $(/usr/bin/seq 50); do
    /usr/bin/python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2)' "$port" 2>/dev/null && break
    /usr/bin/sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null || { echo "STUB-FAILED"; exit 0; }
fi
cd /tmp && /usr/bin/timeout -k 2 8 /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "${envs[@]}" "$@" </dev/null >/dev/null 2>&1
echo "RC=$?"
if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
[ "$kind" = db ] && /usr/bin/rm -f /run/postgresql/.s.PGSQL.5432
[ -n "$made_dir" ] && /usr/bin/rmdir /run/postgresql 2>/dev/null
exit 0
"""

PORTS = {"db": 5432, "cache": 6379, "api": 8000}


def health_argv(svc: dict) -> list[str]:
    hc = svc.get("healthcheck") or {}
    if hc.get("disable"):
        return []
    test = hc.get("test")
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    if not test or test[0] == "NONE":
        return []
    unescape = [str(t).replace("$$", "$") for t in test[1:]]
    if test[0] == "CMD-SHELL":
        return ["/bin/sh", "-c", " ".join(unescape)]
    return unescape if test[0] == "CMD" else []


def run_health(host, name: str, svc: dict, mode: str) -> int:
    argv = health_argv(svc)
    env = [f"{k}={v}" for k, v in env_of(svc).items()]
    cmd = host.run("/bin/bash -c %s probe %s %s %s %s" + " %s" * (len(env) + len(argv)),
                   PROBE, STUB, name, mode, str(len(env)), *env, *argv)
    assert "STUB-FAILED" not in cmd.stdout, (
        f"port {PORTS[name]} is busy in the sandbox: stop whatever listens there so the check can stand in for {name}")
    m = re.search(r"RC=(\d+)", cmd.stdout)
    assert m, f"the check could not run the health check of {name}"
    return int(m.group(1))


def _judge_health(host, project, toolbox, name: str, states: dict[str, str]):
    svc = services(project, toolbox)[name]
    assert health_argv(svc), f"`{name}` has no health check, so nothing can wait for it to be ready"
    assert run_health(host, name, svc, "up") == 0, (
        f"the health check of `{name}` fails even while {name} is ready (run here, with {name}'s environment, "
        f"against a stand-in on localhost:{PORTS[name]})")
    for mode, what in states.items():
        assert run_health(host, name, svc, mode) != 0, f"the health check of `{name}` still passes when {what}"


@pytest.mark.task("healthy-startup")
def test_db_health_check_tells_ready_from_not(host, project, toolbox):
    _judge_health(host, project, toolbox, "db", {"busy": "Postgres is still starting up", "down": "Postgres is down"})


@pytest.mark.task("healthy-startup")
def test_cache_health_check_tells_up_from_down(host, project, toolbox):
    _judge_health(host, project, toolbox, "cache", {"down": "Redis is down"})


@pytest.mark.task("healthy-startup")
def test_api_health_check_asks_the_health_endpoint(host, project, toolbox):
    _judge_health(host, project, toolbox, "api", {"busy": "/healthz answers 503", "down": "the API is down"})


# The clients the health checks run with here, and what they run on: a candidate could swap
# one for a stand-in that passes whatever the service's state.
CLIENT_FILES = ["/usr/share/postgresql-common/pg_wrapper", "/usr/lib/postgresql/15/bin/pg_isready",
                "/usr/lib/postgresql/15/bin/psql", "/usr/bin/redis-cli", "/usr/bin/python3.11", "/usr/bin/perl",
                "/usr/bin/curl", "/usr/bin/timeout", "/usr/bin/env", "/usr/bin/grep", "/usr/bin/dash", "/usr/bin/bash"]


@pytest.mark.task("healthy-startup")
def test_health_check_clients_are_as_installed(modified):
    changed = [p for p in CLIENT_FILES if modified(p)]
    assert not changed, f"{changed[0]} changed since the host was built: put back the original so the health checks can be trusted"


# What each service's image has to run a health check with (besides a shell and coreutils).
IMAGE_TOOLS = {"db": ({"pg_isready", "psql"}, "the postgres image"),
               "cache": ({"redis-cli"}, "the redis image"),
               "api": ({"python", "python3", "python3.12"}, "the api image (python:3.12-slim, see api/Dockerfile)")}
SHELL_TOOLS = {"sh", "bash", "exit", "test", "[", "[[", "true", "false", "echo", "printf", "grep", "cat", "timeout",
               "exec", "command", "!", "{", "}", "(", ")", "then", "else", "fi", "if", "do", "done"}


def shell_programs(cmd: str) -> list[str]:
    """The programs a shell command line runs: the first word of each simple command."""
    lex = shlex.shlex(cmd, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    try:
        tokens = list(lex)
    except ValueError:
        tokens = cmd.split()
    progs, start = [], True
    for t in tokens:
        if set(t) <= set("();<>|&"):
            start = True
            continue
        if start:
            if re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", t) or t in ("!", "exec", "command", "timeout", "{", "}") \
                    or re.fullmatch(r"-?\d+[smh]?|-\w+", t):
                continue
            progs.append(t)
            start = False
    return progs


def programs(argv: list[str]) -> list[str]:
    """The programs a health check runs: argv[0], or the first word of each shell command."""
    return shell_programs(argv[2]) if argv[:2] == ["/bin/sh", "-c"] else argv[:1]


@pytest.mark.task("healthy-startup")
def test_health_checks_use_tools_their_images_have(project, toolbox):
    svcs = services(project, toolbox)
    for name, (tools, image) in IMAGE_TOOLS.items():
        argv = health_argv(svcs[name])
        for prog in programs(argv) if argv else []:
            base = prog.rsplit("/", 1)[-1]
            assert base in tools | SHELL_TOOLS and (not prog.startswith("/") or re.match(r"^/(usr/)?s?bin/", prog)), (
                f"the health check of `{name}` runs {prog}, which {image} does not have: it would never pass there")


def _waits_for(svc: dict, dep: str) -> bool:
    deps = svc.get("depends_on") or {}
    if isinstance(deps, list):
        return False
    return (deps.get(dep) or {}).get("condition") == "service_healthy"


@pytest.mark.task("healthy-startup")
def test_api_and_worker_wait_for_a_healthy_db_and_cache(project, toolbox):
    svcs = services(project, toolbox)
    for name in ("api", "worker"):
        for dep in ("db", "cache"):
            assert _waits_for(svcs[name], dep), f"`{name}` does not wait for `{dep}` to be healthy before it starts"


@pytest.mark.task("healthy-startup")
def test_proxy_waits_for_a_healthy_api(project, toolbox):
    assert _waits_for(services(project, toolbox)["proxy"], "api"), "`proxy` does not wait for `api` to be healthy"


# --- network-layout ---------------------------------------------------------------------------

@pytest.mark.task("network-layout")
def test_only_the_proxy_publishes_a_port(project, toolbox):
    svcs = services(project, toolbox)
    for name, svc in sorted(svcs.items()):
        if name != "proxy":
            assert not svc.get("ports"), f"`{name}` publishes a port on the host; only the proxy should be reachable from outside"
    targets = {str(p.get("target") if isinstance(p, dict) else str(p).split(":")[-1].split("/")[0]) for p in svcs["proxy"].get("ports") or []}
    assert "80" in targets, "the proxy no longer publishes its port 80"


@pytest.mark.task("network-layout")
def test_proxy_reaches_the_api_but_not_the_data_stores(project, toolbox):
    svcs = services(project, toolbox)
    proxy = networks_of(svcs["proxy"])
    assert proxy & networks_of(svcs["api"]), "`proxy` and `api` share no network: nginx cannot reach api:8000"
    for name in ("db", "cache"):
        assert not proxy & networks_of(svcs[name]), f"`proxy` shares a network with `{name}`: the internet-facing tier can reach the data store"


def _endpoint(url: str) -> tuple[str, int | None]:
    try:
        parts = urlsplit(url)
        return parts.hostname or "", parts.port
    except ValueError:
        return "", None


@pytest.mark.task("network-layout")
def test_api_and_worker_reach_db_and_cache_by_service_name(project, toolbox):
    svcs = services(project, toolbox)
    for client in ("api", "worker"):
        env = env_of(svcs[client])
        for var, target, port in (("DATABASE_URL", "db", 5432), ("REDIS_URL", "cache", 6379)):
            host, p = _endpoint(env.get(var, ""))
            assert host in names_on_network(target, svcs[target]), (
                f"`{client}`'s {var} points at host {host or 'nothing'!r}, which is not a name of the `{target}` service")
            assert p in (None, port), f"`{client}`'s {var} uses port {p}; {target} listens on {port}"
            assert networks_of(svcs[client]) & networks_of(svcs[target]), f"`{client}` and `{target}` share no network"


# --- data-and-secrets -------------------------------------------------------------------------

@pytest.mark.task("data-and-secrets")
def test_database_keeps_its_data_in_a_named_volume(project, toolbox):
    model = resolved(project, toolbox)
    declared = set((model.get("volumes") or {}).keys())
    found = None
    for v in model["services"]["db"].get("volumes") or []:
        if isinstance(v, dict):
            src, dst, kind = v.get("source"), v.get("target"), v.get("type", "volume")
        else:
            bits = str(v).split(":")
            src, dst = (bits[0], bits[1]) if len(bits) > 1 else (None, bits[0])
            kind = "bind" if src and ("/" in src or src.startswith(".")) else "volume"
        if str(dst).rstrip("/") == "/var/lib/postgresql/data":
            found = (src, kind)
    assert found, "`db` keeps /var/lib/postgresql/data in the container only: the data is lost when it is recreated"
    src, kind = found
    shown = re.sub(r"^.*/(?:real|hidden)(/|$)", "./", str(src)) if src else "an anonymous volume"
    assert kind == "volume" and src in declared, f"`db` keeps its data in {shown}, not a named volume the stack declares"


def _hidden_env(project: Path) -> tuple[str, set[str]]:
    """The candidate's .env with every credential replaced by one the candidate never saw."""
    env_file = project / ".env"
    text = env_file.read_text(errors="replace") if env_file.is_file() else ""
    new: dict[str, str] = {}
    for line in text.splitlines():
        m = ENV_LINE.match(line)
        if m and SECRET_NAME.search(m.group(1)) and m.group(2):
            new.setdefault(m.group(2), "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(24)))
    for old, fresh in sorted(new.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(old, fresh)
    return text, set(new.values())


@pytest.mark.task("data-and-secrets")
def test_credentials_come_from_the_env_file_only(project, toolbox):
    resolved(project, toolbox)
    text, fresh = _hidden_env(project)
    assert fresh, "the stack's .env holds no database password: keep POSTGRES_PASSWORD in .env"
    cache = toolbox[2]
    if "hidden" not in cache:
        cache["hidden"] = _render(project, toolbox, text, "hidden")
    rc, model, err = cache["hidden"]
    assert rc == 0 and isinstance(model, dict), "docker-compose rejects the file once the password in .env changes"
    svcs = model["services"]
    db_pw = env_of(svcs["db"]).get("POSTGRES_PASSWORD", "")
    assert db_pw in fresh, (
        "`db` does not take POSTGRES_PASSWORD from .env: with another password in .env it still gets the old one")
    for client in ("api", "worker"):
        url = env_of(svcs[client]).get("DATABASE_URL", "")
        try:
            pw = urlsplit(url).password
        except ValueError:
            pw = None
        assert pw == db_pw, (f"`{client}`'s DATABASE_URL does not follow the password in .env: "
                             "change it there and the client would still use another")


@pytest.mark.task("data-and-secrets")
def test_compose_file_holds_no_credential(project):
    text = (project / "docker-compose.yml").read_text(errors="replace")
    env_file = project / ".env"
    values = []
    if env_file.is_file():
        for line in env_file.read_text(errors="replace").splitlines():
            m = ENV_LINE.match(line)
            if m and SECRET_NAME.search(m.group(1)) and len(m.group(2)) >= 6:
                values.append(m.group(2))
    assert not any(v in text for v in values), "docker-compose.yml contains the database password written out: it belongs in .env only"
    for m in re.finditer(r"^\s*-?\s*([A-Z_]*(?:PASSWORD|SECRET|TOKEN)[A-Z_]*)\s*[:=]\s*(.+)$", text, re.M):
        value = m.group(2).strip().strip("'\"")
        assert not value or "${" in value or value.startswith("$"), (
            f"docker-compose.yml sets {m.group(1)} to a literal value: take it from .env")
