"""Settings: embedded defaults, overridden by OPSLAB_* environment variables, then by the
mapping passed to create_app (tests)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def var_dir() -> Path:
    return Path(os.environ.get("OPSLAB_VAR", ROOT / "var"))


def private_dir(path: Path, tighten: bool = True) -> Path:
    """Create `path` and its missing parents readable by this user only (0700); an existing
    folder of ours is tightened too unless `tighten` is False (a folder the operator chose)."""
    path = Path(path)
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for p in reversed(missing):
        p.mkdir(mode=0o700, exist_ok=True)
        os.chmod(p, 0o700)  # mkdir's mode goes through the umask, which may allow less but not more
    if tighten and path not in missing and path.stat().st_uid == os.getuid():
        os.chmod(path, 0o700)
    return path


def private_file(path: Path) -> Path:
    """Create `path` (if missing) readable and writable by this user only (0600), or tighten ours."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        if os.fstat(fd).st_uid == os.getuid():
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    return Path(path)


def _secret_key(var: Path) -> str:
    """A key kept under var/ so sessions survive restarts; generated on first use."""
    path = var / "secret_key"
    if not path.exists():
        private_dir(var)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable by others
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


def database_url() -> str:
    return os.environ.get("OPSLAB_DATABASE_URL", f"sqlite:///{var_dir() / 'opslab.db'}")


def defaults() -> dict:
    var = var_dir()
    if var.is_dir():
        private_dir(var)  # an install from before var/ was private: tightened on the next start
    env = os.environ.get
    return {
        "SECRET_KEY": env("OPSLAB_SECRET_KEY") or _secret_key(var),
        "DATABASE_URL": database_url(),
        "REDIS_URL": env("OPSLAB_REDIS_URL", "redis://127.0.0.1:6390/0"),
        "RECORDINGS_DIR": str(Path(env("OPSLAB_RECORDINGS", var / "recordings"))),
        "MAX_SESSIONS_PER_USER": int(env("OPSLAB_MAX_SESSIONS_PER_USER", "2")),
        "CAPACITY": int(env("OPSLAB_CAPACITY", "20")),
        # Warm pools (webapp.pools): "" keeps each lab's `warm_pool:` hint, "0" turns them off,
        # "lab=N,lab=N" or "*=N" sets sizes.
        "WARM_POOL": env("OPSLAB_WARM_POOL", ""),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Secure cookies need HTTPS; set OPSLAB_SECURE_COOKIES=0 only for plain-HTTP loopback use.
        "SESSION_COOKIE_SECURE": env("OPSLAB_SECURE_COOKIES", "0") == "1",
        "WTF_CSRF_TIME_LIMIT": None,
        # Request bodies past this many bytes get 413 (the API's JSON is a few hundred bytes).
        "MAX_CONTENT_LENGTH": int(env("OPSLAB_MAX_CONTENT_LENGTH", str(1 << 20))),
        "PROVISION_TIMEOUT": int(env("OPSLAB_PROVISION_TIMEOUT", "600")),
        # Failed log-ins allowed per (address, email) and per address within the window.
        "LOGIN_MAX_FAILURES": int(env("OPSLAB_LOGIN_MAX_FAILURES", "5")),
        "LOGIN_MAX_FAILURES_PER_IP": int(env("OPSLAB_LOGIN_MAX_FAILURES_PER_IP", "50")),
        "LOGIN_WINDOW_SECONDS": int(env("OPSLAB_LOGIN_WINDOW_SECONDS", "900")),
        # How many reverse proxies in front of the web server set X-Forwarded-For (0: none).
        "TRUSTED_PROXIES": int(env("OPSLAB_TRUSTED_PROXIES", "0")),
    }
