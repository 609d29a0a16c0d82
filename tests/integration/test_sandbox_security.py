"""Sandboxes on the real engine: isolation, limits, labels, clean-up.

Network blocks are proven against listeners the tests start themselves (on the host and in
another sandbox) and by inspecting the firewall rule — no traffic leaves this machine.
"""

from __future__ import annotations

import base64
import gzip
import socket
import subprocess
import threading
import time

import pytest

from infra.firewall import host_firewall_installed
from infra.providers.base import LABEL_EXPIRES, LABEL_SESSION, HostSpec, SandboxSpec
from opslab.engine import new_session_id

# Capabilities by number (linux/capability.h).
ALLOWED = {0, 1, 3, 4, 5, 6, 7, 8, 10, 18, 29}
DANGEROUS = {"SYS_ADMIN": 21, "NET_ADMIN": 12, "NET_RAW": 13, "SYS_PTRACE": 19, "SYS_MODULE": 16, "MKNOD": 27}


def make(provider, sandboxes, hosts=("box",), ttl=600, **host_kw):
    spec = SandboxSpec(new_session_id(), "test-lab", "v1",
                       tuple(HostSpec(h, "opslab/base", memory_bytes=128 << 20, pids=100, **host_kw) for h in hosts),
                       ttl)
    sb = provider.create(spec)
    sandboxes.append(sb)
    return sb


def sh(sb, cmd, host=None):
    return sb.exec(host or sb.hosts[0], ["/bin/sh", "-c", cmd])


@pytest.fixture
def host_listener():
    """A TCP listener on every host address, as the web app or Redis could be."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", 0))
    srv.listen(8)
    srv.settimeout(0.2)
    stop = threading.Event()
    accepted = []

    def serve():
        while not stop.is_set():
            try:
                conn, addr = srv.accept()
                accepted.append(addr)
                conn.close()
            except OSError:
                pass

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield srv.getsockname()[1], accepted
    stop.set()
    t.join()
    srv.close()


def test_capabilities_are_the_short_allow_list(provider, sandboxes):
    sb = make(provider, sandboxes)
    cap_eff = int(sh(sb, "grep CapEff /proc/self/status | cut -f2").stdout.strip(), 16)
    granted = {bit for bit in range(64) if cap_eff >> bit & 1}
    assert granted == ALLOWED
    for name, bit in DANGEROUS.items():
        assert bit not in granted, name


def test_root_cannot_mount_or_change_the_network(provider, sandboxes):
    sb = make(provider, sandboxes)
    assert sh(sb, "mkdir -p /mnt/x && mount -t tmpfs none /mnt/x").exit_code != 0
    assert sh(sb, "ip link set lo mtu 1400").exit_code != 0


def test_no_new_privileges_and_no_docker_socket(provider, sandboxes):
    sb = make(provider, sandboxes)
    assert sh(sb, "grep NoNewPrivs /proc/self/status").stdout.split() == ["NoNewPrivs:", "1"]
    assert sh(sb, "ls /var/run/docker.sock /run/docker.sock").exit_code != 0


# gcc -O2 -s -static -nostdlib of a 64-bit program making a 32-bit system call (getpid through
# `int $0x80`, i386 number 20), exiting 0 when it answered with a pid and 1 when refused:
#   void _start(void) { long r; __asm__ volatile ("int $0x80" : "=a"(r) : "a"(20L) : "memory");
#     long code = r > 0 ? 0 : 1; __asm__ volatile ("syscall" :: "a"(60L), "D"(code)); for (;;) {} }
INT80_GZ_B64 = """
H4sICEF9DmsCA2ludDgwAKt39XFjYmRkgAEmBjsGME/AAcx3gIonCMCVAMUsGJiBJAuQBKllYUAG
Dij0CygPRjNAzQHpY0Xiw+yD0ZJQYUk0fYFPS1LYGIgHAgyjYBSMglEwCkbBKBgFo2AUjIJRMApG
wSjYIQIkzjYY/vdoPbDDBtRt5593nJ/19T93Z2crBQ2X1KTMxDwFQyM9Iz0DXUMT7ZTUJEOjUkNN
qBADg15xRnFJUUliEoNeSWpFCYNecn5ubmpeCZXcxw0dK4D3+eHjBGjjAzj6+4JQ/QZo4pJQhepo
4oxYaGYs7nKA6pfCoR8GAO91fPhgEQAA
"""


def test_32_bit_system_calls_are_refused(provider, sandboxes, tmp_path):
    program = tmp_path / "int80"
    program.write_bytes(gzip.decompress(base64.b64decode(INT80_GZ_B64)))
    program.chmod(0o755)
    # the same program on the host, outside any profile: the call works there, so a refusal in
    # the sandbox is the profile's doing, not a broken program
    assert subprocess.run([str(program)]).returncode == 0
    sb = make(provider, sandboxes)
    sb.put_files("box", "/root", {"int80": program})
    r = sh(sb, "chmod 0755 /root/int80 && /root/int80")
    assert r.exit_code != 0, "a 32-bit system call (int 0x80) went through the sandbox's seccomp profile"


def test_pids_and_memory_limits_are_set(provider, sandboxes):
    sb = make(provider, sandboxes)
    cfg = provider.client.api.inspect_container(sb.container_name("box"))["HostConfig"]
    assert cfg["PidsLimit"] == 100
    assert cfg["Memory"] == 128 << 20 and cfg["MemorySwap"] == 128 << 20
    assert cfg["NanoCpus"] == 1_000_000_000
    # the kernel holds the limit the sandbox runs under
    pids_max = sh(sb, "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max")
    assert pids_max.stdout.strip() == "100"


def test_labels_carry_session_and_expiry(provider, sandboxes):
    sb = make(provider, sandboxes, ttl=600)
    labels = provider.client.api.inspect_container(sb.container_name("box"))["Config"]["Labels"]
    assert labels[LABEL_SESSION] == sb.session
    assert abs(int(labels[LABEL_EXPIRES]) - (time.time() + 600)) < 30
    net = provider.client.networks.get(f"opslab-{sb.session}")
    assert net.attrs["Labels"][LABEL_SESSION] == sb.session
    assert net.attrs["Internal"] is True


def gateway(sb) -> str:
    return sh(sb, "ip route").stdout.split("default via ")[1].split()[0]


def test_no_route_out_of_the_sandbox(provider, sandboxes):
    """Proven by the engine's rule, not by sending traffic out: the bridge drops all of it."""
    import subprocess

    sb = make(provider, sandboxes)
    net = provider.client.networks.get(f"opslab-{sb.session}").attrs
    subnet = net["IPAM"]["Config"][0]["Subnet"]
    bridge = net["Options"]["com.docker.network.bridge.name"]
    rules = subprocess.run(["iptables", "-S", "DOCKER-ISOLATION-STAGE-1"], capture_output=True,
                           text=True, check=True).stdout
    assert f"-A DOCKER-ISOLATION-STAGE-1 ! -d {subnet} -i {bridge} -j DROP" in rules


def test_hosts_of_one_sandbox_reach_each_other(provider, sandboxes):
    sb = make(provider, sandboxes, hosts=("web", "db"))
    sh(sb, "setsid nc -lk -p 5432 >/dev/null 2>&1 < /dev/null &", host="db")
    time.sleep(0.3)
    assert sh(sb, "nc -z -w 2 db 5432", host="web").exit_code == 0


def test_other_sandboxes_are_unreachable(provider, sandboxes):
    a = make(provider, sandboxes)
    b = make(provider, sandboxes, hosts=("db", "peer"))
    sh(b, "setsid nc -lk -p 5432 >/dev/null 2>&1 < /dev/null &", host="db")
    time.sleep(0.3)
    b_ip = sh(b, "hostname -i", host="db").stdout.split()[0]
    assert sh(b, f"nc -z -w 2 {b_ip} 5432", host="peer").exit_code == 0  # the listener is up
    assert sh(a, f"nc -z -w 2 {b_ip} 5432").exit_code != 0


def test_host_services_are_unreachable(provider, sandboxes, host_listener):
    port, accepted = host_listener
    sb = make(provider, sandboxes)
    assert host_firewall_installed(str(provider.pool))
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        pass  # the listener answers on the host
    for _ in range(50):
        if accepted:
            break
        time.sleep(0.05)
    before = len(accepted)
    assert before == 1
    assert sh(sb, f"nc -z -w 2 {gateway(sb)} {port}").exit_code != 0
    assert len(accepted) == before


def test_destroy_removes_everything_and_is_idempotent(provider, sandboxes):
    sb = make(provider, sandboxes)
    sb.destroy()
    sb.destroy()
    label = {"label": f"{LABEL_SESSION}={sb.session}"}
    assert provider.client.containers.list(all=True, filters=label) == []
    assert provider.client.networks.list(filters=label) == []


def test_reap_removes_expired_and_orphaned(provider, sandboxes):
    expired = make(provider, sandboxes, ttl=1)
    owed_a_grade = make(provider, sandboxes, ttl=1)
    live = make(provider, sandboxes, ttl=600)
    orphan = new_session_id()
    provider.client.networks.create(f"opslab-{orphan}", internal=True, labels={LABEL_SESSION: orphan})
    time.sleep(1.5)
    removed = provider.reap(orphan_grace=0, keep=frozenset({owed_a_grade.session}))
    assert expired.session in removed and orphan in removed
    assert live.session not in removed and owed_a_grade.session not in removed
    assert [i.session for i in provider.list(live.session)] == [live.session]
    assert [i.session for i in provider.list(owed_a_grade.session)] == [owed_a_grade.session]


def test_disk_watchdog_ends_a_sandbox_that_fills_its_disk(provider, sandboxes):
    from infra.providers import get_provider
    from infra.watchdog import enforce_disk_limit

    small = get_provider("docker", disk_limit_bytes=1 << 20)
    if small.info().disk_cap_enforced:  # the kernel stops the write; the watchdog has nothing to end
        sb = make(small, sandboxes)
        assert sh(sb, "head -c 5000000 /dev/zero > /root/big").exit_code != 0
        assert enforce_disk_limit(small, session=sb.session) == {}
        return
    sb = make(provider, sandboxes)
    sh(sb, "head -c 5000000 /dev/zero > /root/big")
    ended = enforce_disk_limit(small, session=sb.session)  # the watchdog acts where the engine cannot cap
    assert sb.session in ended and "over its limit of 1 MiB" in ended[sb.session]
    assert provider.list(sb.session) == []


def test_tmpfs_gives_a_real_full_disk(provider, sandboxes):
    sb = make(provider, sandboxes, tmpfs={"/var/log/app": 1 << 20})
    out = sh(sb, "head -c 2000000 /dev/zero > /var/log/app/x")
    assert out.exit_code != 0 and "No space left on device" in out.stderr


def test_files_in_and_out_through_the_engine(provider, sandboxes, tmp_path):
    sb = make(provider, sandboxes)
    sb.put_files("box", "/root", {"bundle/sub/a.txt": b"alpha\n"})
    assert sh(sb, "cat /root/bundle/sub/a.txt").stdout == "alpha\n"
    sh(sb, "echo beta > /root/bundle/b.txt")
    out = sb.copy_out("box", "/root/bundle", tmp_path / "back")
    assert (out / "b.txt").read_text() == "beta\n" and (out / "sub" / "a.txt").read_text() == "alpha\n"
