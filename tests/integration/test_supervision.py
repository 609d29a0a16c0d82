"""`opslab platform` (what `make run` starts) survives its own crashes: a killed worker, web
server or Redis is restarted on its own, the queue in Redis outlives a Redis restart, and a
killed launcher leaves no process behind (so the next `make run` just works).

Runs the real launcher on free loopback ports with a private var/, the fixture labs and the
real Docker engine."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import FIXTURE_LABS
from tests.integration.test_platform import check, login, wait_state
from tests.platform import ROOT

ADMIN = ("admin@example.org", "staff-secret-71")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Launched:
    url: str
    proc: subprocess.Popen
    var: Path

    def children(self) -> dict[str, int]:
        """{name: pid} of the launcher's children, by their command line."""
        out = subprocess.run(["ps", "-ww", "-o", "pid=,args=", "--ppid", str(self.proc.pid)], capture_output=True,
                             text=True).stdout
        names = {"redis-server": "redis", "gunicorn": "web", "-Q sessions": "worker", "-Q grade": "grader",
                 "-Q final": "finisher", " beat ": "beat"}
        found = {}
        for line in out.splitlines():
            pid, args = line.strip().split(" ", 1)
            for needle, name in names.items():
                if needle in args + " ":
                    found[name] = int(pid)
        return found

    def wait_child(self, name: str, not_pid: int = 0, timeout: float = 40) -> int:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            pid = self.children().get(name)
            if pid and pid != not_pid:
                return pid
            time.sleep(0.2)
        raise AssertionError(f"{name} was not (re)started; launcher output:\n{self.output()}")

    def output(self) -> str:
        return (self.var / "launcher.log").read_text(errors="replace")[-3000:]


@contextmanager
def launched(tmp_path, provider, labs: Path = FIXTURE_LABS):
    if not os.path.exists("/usr/bin/redis-server"):
        pytest.fail("make test needs redis-server (infra/setup/ensure-web-deps.sh installs it)")
    port, rport = free_port(), free_port()
    var = tmp_path / "var"
    env = {**os.environ, "OPSLAB_VAR": str(var), "OPSLAB_LABS": str(labs), "PYTHONPATH": str(ROOT),
           "OPSLAB_REDIS_URL": f"redis://127.0.0.1:{rport}/0", "OPSLAB_SECRET_KEY": "test-secret",
           "OPSLAB_ADMIN_EMAIL": ADMIN[0], "OPSLAB_ADMIN_PASSWORD": ADMIN[1]}
    env.pop("OPSLAB_DATABASE_URL", None)
    var.mkdir()
    log = open(var / "launcher.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "opslab.cli", "platform", "--port", str(port), "--workers", "2",
                             "--graders", "2"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    p = Launched(f"http://127.0.0.1:{port}", proc, var)
    try:
        end = time.monotonic() + 60
        while b"opslab is running" not in (var / "launcher.log").read_bytes():
            assert proc.poll() is None and time.monotonic() < end, p.output()
            time.sleep(0.2)
        for name in ("worker", "grader", "finisher"):
            wlog = var / "logs" / f"{name}.log"
            while not wlog.exists() or b"ready." not in wlog.read_bytes():
                assert time.monotonic() < end, f"{name} never became ready"
                time.sleep(0.2)
        yield p
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)


def test_dead_processes_are_restarted_and_no_task_is_lost(tmp_path, provider):
    with launched(tmp_path, provider) as p:
        s, csrf = login(p, ADMIN)
        kids = p.children()
        assert set(kids) == {"redis", "web", "worker", "grader", "finisher", "beat"}, kids

        # the grade worker killed: restarted, and Checks work again
        os.kill(kids["grader"], signal.SIGKILL)
        p.wait_child("grader", not_pid=kids["grader"])
        sid = s.post(p.url + "/api/v1/sessions", json={"lab": "greeting-file"}, headers={"X-CSRFToken": csrf}).json()["id"]
        wait_state(s, p, sid, {"ready"})
        assert check(s, p, csrf, sid)["report"]["score"] == 0

        # Redis killed while a start is queued: restarted from its append-only file, the start
        # still happens (the sessions worker is paused so the task waits in Redis)
        worker = p.children()["worker"]
        os.killpg(worker, signal.SIGSTOP)
        try:
            queued = s.post(p.url + "/api/v1/sessions", json={"lab": "greeting-file"},
                            headers={"X-CSRFToken": csrf}).json()["id"]
            time.sleep(1.5)  # appendfsync everysec
            os.kill(kids["redis"], signal.SIGKILL)
            p.wait_child("redis", not_pid=kids["redis"])
        finally:
            os.killpg(worker, signal.SIGCONT)
        st = wait_state(s, p, queued, {"ready", "failed"}, timeout=90)
        assert st["state"] == "ready", (st, p.output())

        # the web server's master killed: its orphaned worker is ended with it (no port held
        # for half a minute), a new one starts on the same port, and the page answers again
        os.kill(p.children()["web"], signal.SIGKILL)
        end = time.monotonic() + 40
        while "web restarted" not in p.output():
            assert time.monotonic() < end, p.output()
            time.sleep(0.2)
        assert re.search(r"web exited \(-9\); restarting", p.output())
        while True:
            try:
                if s.get(p.url + "/api/v1/sessions/" + queued, timeout=2).status_code == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < end, p.output()
            time.sleep(0.3)
        for sid_ in (sid, queued):
            s.post(f"{p.url}/api/v1/sessions/{sid_}/stop", headers={"X-CSRFToken": csrf})
        for sid_ in (sid, queued):
            wait_state(s, p, sid_, {"destroyed"}, timeout=90)


def test_a_killed_launcher_leaves_nothing_running(tmp_path, provider):
    with launched(tmp_path, provider) as p:
        groups = set(p.children().values())  # each child leads a group: gunicorn's worker is in web's
        everyone = [int(pid) for pid, pgid in (line.split() for line in subprocess.run(
            ["ps", "-e", "-o", "pid=,pgid="], capture_output=True, text=True).stdout.splitlines())
            if int(pgid) in groups]
        assert len(everyone) > len(groups)  # the web server's worker too
        port = int(p.url.rsplit(":", 1)[1])
        os.kill(p.proc.pid, signal.SIGKILL)
        p.proc.wait(5)
        end = time.monotonic() + 30
        while left := [pid for pid in everyone if _alive(pid)]:
            assert time.monotonic() < end, f"still running after the launcher died: {left}"
            time.sleep(0.2)
        with socket.socket() as again:  # the next `make run` can take the port
            again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            again.bind(("127.0.0.1", port))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return status.exists() and status.read_text().split(") ")[1][0] != "Z"
