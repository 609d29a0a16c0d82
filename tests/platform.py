"""Start the real platform for tests and benchmarks: redis-server, gunicorn and a Celery
worker as subprocesses, on free loopback ports and a temporary var/ folder."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from webapp.launcher import worker_commands

ROOT = Path(__file__).resolve().parent.parent
ADMIN = ("admin@example.org", "staff-secret-71")  # the password policy: not built on the email
CANDIDATE = ("cand@example.org", "learner-secret-42")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited early:\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"port {port} did not open:\n{log.read_text()[-3000:]}")


@dataclass
class Platform:
    url: str
    env: dict
    var: Path
    procs: dict[str, subprocess.Popen]

    def app(self):
        from webapp import create_app

        return create_app({"DATABASE_URL": self.env["OPSLAB_DATABASE_URL"], "REDIS_URL": self.env["OPSLAB_REDIS_URL"],
                           "RECORDINGS_DIR": self.env["OPSLAB_RECORDINGS"]})


@contextmanager
def running_platform(labs: Path, worker_threads: int = 4, env: dict | None = None):
    redis = shutil.which("redis-server")
    if not redis:
        raise RuntimeError("redis-server is not installed (make test installs it)")
    var = Path(tempfile.mkdtemp(prefix="opslab-platform-"))
    rport, wport = free_port(), free_port()
    extra, env = env, None
    env = {**os.environ, "OPSLAB_VAR": str(var), "OPSLAB_LABS": str(labs), "PYTHONPATH": str(ROOT),
           "OPSLAB_DATABASE_URL": f"sqlite:///{var / 'opslab.db'}", "OPSLAB_REDIS_URL": f"redis://127.0.0.1:{rport}/0",
           "OPSLAB_RECORDINGS": str(var / "recordings"), "OPSLAB_SECRET_KEY": "test-secret",
           # no warm pools unless a test asks: their sandboxes would outlive the platform
           "OPSLAB_WARM_POOL": "0", **(extra or {})}
    procs: dict[str, subprocess.Popen] = {}
    try:
        def start(name, cmd, port=None):
            log = var / f"{name}.log"
            p = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=open(log, "wb"), stderr=subprocess.STDOUT,
                                 start_new_session=True)
            procs[name] = p
            if port:
                wait_port(port, p, log)
            return p, log

        start("redis", [redis, "--port", str(rport), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], rport)
        subprocess.run([sys.executable, "-c", "from webapp.migrate import upgrade; import os; "
                        "upgrade(os.environ['OPSLAB_DATABASE_URL'])"], env=env, cwd=ROOT, check=True)
        for email, pw, role in ((*ADMIN, "admin"), (*CANDIDATE, "candidate")):
            subprocess.run([sys.executable, "-m", "opslab.cli", "user", "create", email, "--role", role,
                            "--password", pw], env=env, cwd=ROOT, check=True, capture_output=True)
        start("web", [sys.executable, "-m", "gunicorn", "-k", "gthread", "--threads", "32", "-w", "1",
                      "-b", f"127.0.0.1:{wport}", "webapp.wsgi:app"], wport)
        workers = worker_commands(sys.executable, worker_threads, extra=("--without-mingle", "--without-gossip"))
        logs = [start(name, cmd)[1] for name, cmd in workers.items()]
        end = time.time() + 30
        for wlog in logs:
            while b"ready." not in wlog.read_bytes():
                if time.time() > end:
                    raise RuntimeError(f"the Celery worker did not start:\n{wlog.read_text()[-3000:]}")
                time.sleep(0.1)
        yield Platform(f"http://127.0.0.1:{wport}", env, var, procs)
    finally:
        for p in procs.values():
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGCONT)   # a test may have paused it
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs.values():
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        shutil.rmtree(var, ignore_errors=True)
