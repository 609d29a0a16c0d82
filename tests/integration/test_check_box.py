"""A lab's checks run boxed (grader.box): no host files, no Docker socket, no network, no
platform secrets, no capabilities; what they reach for outside is a lab error naming it."""

from __future__ import annotations

import secrets
import socket
import threading
from pathlib import Path

import pytest

from grader import runner
from grader.loader import load_lab
from grader.runner import grade
from opslab.engine import run_script, start_lab

# Each check passes only if the box holds against that attempt; run with and without the
# audit hook's help (a subprocess or libc call is never seen by it, only the box stops it).
HOLDS = '''
import ctypes, os, subprocess
import pytest

SECRET_FILE, SECRET, PORT = {secret_file!r}, {secret!r}, {port}


def sh(cmd):
    return subprocess.run(["/bin/bash", "-c", cmd], capture_output=True, text=True, timeout=10)


@pytest.mark.task("greeting-private")
def test_no_host_files():
    assert sh(f"cat {{SECRET_FILE}}").returncode != 0, "a host file was readable"
    assert ctypes.CDLL(None).open(SECRET_FILE.encode(), 0) == -1, "a host file opened through libc"
    for path in ("/var/run/docker.sock", "/run/docker.sock", "/var/lib", "/root/.bash_history", "/sys/kernel"):
        assert not os.path.exists(path), path


@pytest.mark.task("greeting-private")
def test_no_secrets():
    assert SECRET not in repr(dict(os.environ))
    for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
        with open(f"/proc/{{pid}}/environ", "rb") as f:
            assert SECRET.encode() not in f.read()
    assert sh("cat /proc/1/cmdline").stdout.count("python") >= 1, "pid 1 is the checks' own process"


@pytest.mark.task("greeting-private")
def test_no_network():
    out = sh(f"echo hi > /dev/tcp/127.0.0.1/{{PORT}} && echo reached")
    assert "reached" not in out.stdout
    assert sh("ls /sys/class/net 2>/dev/null; cat /proc/net/dev").stdout.count(":") <= 2  # lo only


@pytest.mark.task("greeting-private")
def test_no_privileges():
    assert sh("mount -t tmpfs x /tmp && echo mounted").stdout.strip() != "mounted"
    assert sh("touch /usr/bin/x && echo wrote").stdout.strip() != "wrote"
    status = open("/proc/self/status").read()
    assert "CapEff:\\t0000000000000000" in status and "CapBnd:\\t0000000000000000" in status, status
'''

# Each check reaches outside the box in a way the audit hook reports.
REACHES = '''
import socket
import pytest


@pytest.mark.task("greeting-private")
def test_docker_socket():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect("/var/run/docker.sock")


@pytest.mark.task("greeting-private")
def test_host_file():
    open({secret_file!r}).read()
'''


@pytest.fixture
def listener():
    """A TCP listener on the host's loopback that records any connection."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    srv.settimeout(0.2)
    hits, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                hits.append(srv.accept())
            except TimeoutError:
                continue
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield srv.getsockname()[1], hits
    stop.set()
    srv.close()


@pytest.fixture
def secret_file():
    path = Path("/var/tmp") / f"opslab-box-test-{secrets.token_hex(6)}"
    path.write_text(secrets.token_hex(16))
    path.chmod(0o644)
    yield path
    path.unlink()


@pytest.fixture
def secret_env(monkeypatch):
    """A platform secret in the caller's environment, with the grader's zygote started after it."""
    value = secrets.token_hex(12)
    monkeypatch.setenv("OPSLAB_SECRET_KEY", value)
    monkeypatch.setenv("OPSLAB_DATABASE_URL", f"postgresql://opslab:{value}@127.0.0.1/opslab")
    runner.stop_zygote()
    yield value
    runner.stop_zygote()


def _lab_with(checks: str, lab_dir: Path):
    (lab_dir / "checks" / "test_box.py").write_text(checks)
    return load_lab(lab_dir)


def test_the_box_holds_and_the_checks_still_grade(provider, sandboxes, greeting_lab_dir, listener, secret_file,
                                                 secret_env):
    port, hits = listener
    lab = _lab_with(HOLDS.format(secret_file=str(secret_file), secret=secret_env, port=port), greeting_lab_dir)
    sb = start_lab(lab)
    sandboxes.append(sb)
    run_script(sb, lab, lab.path / "solution.sh")
    report = grade(lab, sb.target())
    assert report.lab_error is None, report.lab_error
    assert report.full_marks, {k: v for k, v in report.details.items()}
    assert hits == [], "a boxed check reached a listener on the host's loopback"


def test_a_check_reaching_the_host_is_a_lab_error(provider, sandboxes, greeting_lab_dir, secret_file):
    lab = _lab_with(REACHES.format(secret_file=str(secret_file)), greeting_lab_dir)
    sb = start_lab(lab)
    sandboxes.append(sb)
    run_script(sb, lab, lab.path / "solution.sh")
    report = grade(lab, sb.target())
    assert report.lab_error and "outside their box" in report.lab_error
    assert "test_docker_socket: connected to '/var/run/docker.sock'" in report.lab_error
    assert f"test_host_file: opened {secret_file}" in report.lab_error
    assert secret_file.read_text() not in report.lab_error + repr(report.details)
    assert report.score == 0  # a lab error scores nothing
