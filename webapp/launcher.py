"""`opslab platform` (what `make run` starts): Redis, the database, web server, three Celery
workers (sandbox lifecycle; Checks; final grades) and beat on one machine, with the embedded
defaults, each restarted on its own when it dies (webapp.supervisor). Ctrl-C stops all of it. var/ and everything it creates there is private to the
user running it (folders 0700, logs 0600).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

from webapp.config import ROOT, defaults, private_dir, var_dir
from webapp.supervisor import Child, Supervisor, port_open


def redis_child(url: str, var: Path, logs: Path) -> Child | None:
    """A private redis-server for a loopback REDIS_URL that nothing answers yet, keeping its
    queue in an append-only file under var/redis (queued tasks survive a restart)."""
    u = urlparse(url)
    host, port = u.hostname or "127.0.0.1", u.port or 6379
    if port_open(host, port):
        return None
    if host not in ("127.0.0.1", "localhost"):
        raise SystemExit(f"error: Redis at {url} does not answer; start it or set OPSLAB_REDIS_URL")
    exe = shutil.which("redis-server")
    if not exe:
        raise SystemExit("error: redis-server is not installed; run `make run` (it installs it) "
                         "or `sudo apt-get install redis-server`")
    private_dir(var / "redis")
    return Child("redis", [exe, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(var / "redis"),
                           "--save", "", "--appendonly", "yes", "--appendfsync", "everysec",
                           "--protected-mode", "yes"],
                 logs / "redis.log", port=(host, port), open_log=private_log)


def wait_port(host: str, port: int, what: str, log: Path, timeout: float = 10) -> None:
    end = time.monotonic() + timeout
    while not port_open(host, port):
        if time.monotonic() > end:
            raise SystemExit(f"error: {what} did not start within {timeout:.0f} s; see {log}")
        time.sleep(0.1)


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

    if port_open(host, port):
        raise SystemExit(f"error: {host}:{port} is already in use (another opslab?); stop what listens there "
                         f"or pick another port: opslab platform --port {port + 1}  (make run PORT={port + 1})")
    var = private_dir(var_dir())
    cfg = defaults()
    logs = private_dir(var / "logs")
    sup = Supervisor()
    try:
        redis = redis_child(cfg["REDIS_URL"], var, logs)
        if redis:
            sup.add(redis)
            wait_port(*redis.port, "redis-server", redis.log)
        private_log(logs / "access.log").close()  # gunicorn appends to it as it is
        upgrade(cfg["DATABASE_URL"])
        admin = ensure_admin(create_app())
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
            sup.add(Child(name, cmd, logs / f"{name}.log", env=env, cwd=ROOT, open_log=private_log,
                          port=(host, port) if name == "web" else None))
        wait_port(host, port, "the web server", logs / "web.log", timeout=30)
    except BaseException:
        sup.stop(grace=3)
        raise
    print(f"\nopslab is running at http://{host}:{port}/")
    if admin:
        print(f"log in as {admin[0]} with password {admin[1]}  (shown once; `opslab user create` adds more)")
    else:
        print("log in with your account (`opslab user create EMAIL --role admin` adds one)")
    print(f"logs: {logs}/   Ctrl-C stops everything; a process that dies is restarted\n", flush=True)

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping:
            sup.tend()
            time.sleep(0.3)
    finally:
        print("stopping…", flush=True)
        sup.stop()
        print("stopped")
    return 0
