"""`opslab platform` (what `make run` starts): Redis, the database, web server, three Celery
workers (sandbox lifecycle; Checks; final grades) and beat on one machine, with the embedded
defaults. Ctrl-C stops all of it. var/ and everything it creates there is private to the
user running it (folders 0700, logs 0600).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

from webapp.config import ROOT, defaults, private_dir, var_dir


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.3):
            return True
    except OSError:
        return False


def start_redis(url: str, var: Path, log) -> subprocess.Popen | None:
    """Start a private redis-server for a loopback REDIS_URL that nothing answers yet."""
    u = urlparse(url)
    host, port = u.hostname or "127.0.0.1", u.port or 6379
    if _port_open(host, port):
        return None
    if host not in ("127.0.0.1", "localhost"):
        raise SystemExit(f"error: Redis at {url} does not answer; start it or set OPSLAB_REDIS_URL")
    exe = shutil.which("redis-server")
    if not exe:
        raise SystemExit("error: redis-server is not installed; run `make run` (it installs it) "
                         "or `sudo apt-get install redis-server`")
    private_dir(var / "redis")
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(var / "redis"),
                             "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    for _ in range(50):
        if _port_open(host, port):
            return proc
        time.sleep(0.1)
    raise SystemExit(f"error: redis-server did not start; see {var / 'logs'}")


def private_log(path: Path):
    """A log file to append to, readable by this user only (logs can hold addresses and emails)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "ab")


def ensure_admin(app) -> tuple[str, str] | None:
    """The first admin on an empty database; returns (email, password) when created."""
    from sqlalchemy import func, select

    from webapp.auth import create_user
    from webapp.db import session_scope
    from webapp.models import Role, User

    with session_scope(app) as s:
        if s.scalar(select(func.count()).select_from(User)):
            return None
        email = os.environ.get("OPSLAB_ADMIN_EMAIL", "admin@opslab.local")
        password = os.environ.get("OPSLAB_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        create_user(s, email, password, Role.admin)
        return email, password


def worker_commands(py: str, session_threads: int, grade_threads: int = 4, final_threads: int = 2,
                    extra: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """The Celery workers: sandbox lifecycle work (provision, expire, sweep), Checks, and final
    grades, each on its own queue, so no grading waits behind sandbox starts and a wave of
    final grades does not hold up Checks."""
    from webapp.celery_app import FINAL_QUEUE, GRADE_QUEUE, SESSIONS_QUEUE

    def worker(name: str, queue: str, threads: int) -> list[str]:
        return [py, "-m", "celery", "-A", "webapp.worker", "worker", "--pool", "threads",
                "--concurrency", str(threads), "-Q", queue, "-n", f"{name}@%h", "--loglevel", "INFO", *extra]

    return {"worker": worker("sessions", SESSIONS_QUEUE, session_threads),
            "grader": worker("grade", GRADE_QUEUE, grade_threads),
            "finisher": worker("final", FINAL_QUEUE, final_threads)}


def run_platform(host: str = "127.0.0.1", port: int = 8000, workers: int = 8, graders: int = 4) -> int:
    from webapp import create_app
    from webapp.migrate import upgrade

    if _port_open(host, port):
        raise SystemExit(f"error: {host}:{port} is already in use (another opslab?); stop what listens there "
                         f"or pick another port: opslab platform --port {port + 1}  (make run PORT={port + 1})")
    var = private_dir(var_dir())
    cfg = defaults()
    logs = private_dir(var / "logs")
    procs: list[tuple[str, subprocess.Popen]] = []
    redis = start_redis(cfg["REDIS_URL"], var, private_log(logs / "redis.log"))
    private_log(logs / "access.log").close()  # gunicorn appends to it as it is
    if redis:
        procs.append(("redis", redis))
    upgrade(cfg["DATABASE_URL"])
    app = create_app()
    admin = ensure_admin(app)
    py = sys.executable
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    commands = {
        "web": [py, "-m", "gunicorn", "-k", "gthread", "--threads", "64", "-w", "1", "-b", f"{host}:{port}",
                "--access-logfile", str(logs / "access.log"), "webapp.wsgi:app"],
        **worker_commands(py, workers, graders),
        "beat": [py, "-m", "celery", "-A", "webapp.worker", "beat", "--loglevel", "INFO",
                 "--schedule", str(var / "celerybeat-schedule")],
    }
    for name, cmd in commands.items():
        procs.append((name, subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True,
                                             stdout=private_log(logs / f"{name}.log"), stderr=subprocess.STDOUT)))
    for _ in range(100):
        if _port_open(host, port):
            break
        time.sleep(0.1)
    print(f"\nopslab is running at http://{host}:{port}/")
    if admin:
        print(f"log in as {admin[0]} with password {admin[1]}  (shown once; `opslab user create` adds more)")
    else:
        print("log in with your account (`opslab user create EMAIL --role admin` adds one)")
    print(f"logs: {logs}/   Ctrl-C stops everything\n", flush=True)

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping:
            for name, p in procs:
                if p.poll() is not None:
                    print(f"error: {name} exited ({p.returncode}); see {logs / (name + '.log')}", file=sys.stderr)
                    stopping = True
            time.sleep(0.3)
    finally:
        print("stopping…", flush=True)
        for _, p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        deadline = time.time() + 10
        for _, p in procs:
            try:
                p.wait(max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        print("stopped")
    return 0
