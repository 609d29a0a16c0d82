"""Escape and abuse attempts from inside sandboxes (issue #17), and what the host checks around them.

`probe.pl` runs every attempt from a root shell in one sandbox and prints one verdict a line;
`bombs.sh` runs the fork, memory, CPU and disk bombs at once for the web test. Everything here
aims only at this machine: a TCP and a UDP listener the test starts on the host, and another
sandbox the test started (its listener is proven alive from inside its own network).
"""

from __future__ import annotations

import contextlib
import functools
import re
import secrets
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).parent
PROBE = HERE / "probe.pl"
BOMBS = HERE / "bombs.sh"

# The sandbox every attempt runs in: small enough that its bombs end in seconds.
MEMORY = 192 << 20
PIDS = 96
CPUS = 1.0
DISK = 64 << 20
FILES = 10_000
SLACK = 1 << 20  # btrfs checks a write against the quota before its metadata is accounted: ~300 KiB seen
VICTIM_PORT = 5432


@functools.cache
def attempt_names() -> tuple[str, ...]:
    """Every attempt the probe makes, in its order (its `attempt name => sub` lines)."""
    return tuple(re.findall(r"^(?:heavy_|net_)?attempt (\w+) =>", PROBE.read_text(), re.M))


def host_addresses() -> list[str]:
    """This machine's own IPv4 addresses but loopback (where its services would answer)."""
    out = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True, check=True).stdout
    return sorted({m for m in re.findall(r"inet (\d+\.\d+\.\d+\.\d+)/", out) if not m.startswith("127.")})


class HostListener:
    """A TCP and a UDP listener on every host address, as the web app or Redis could be; counts
    what reaches them."""

    def __init__(self) -> None:
        self.tcp = socket.socket()
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(("0.0.0.0", 0))
        self.tcp.listen(16)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("0.0.0.0", 0))
        for s in (self.tcp, self.udp):
            s.settimeout(0.2)
        self.tcp_port, self.udp_port = self.tcp.getsockname()[1], self.udp.getsockname()[1]
        self.connections: list = []
        self.datagrams: list = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._accept, daemon=True),
                         threading.Thread(target=self._receive, daemon=True)]
        for t in self._threads:
            t.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(OSError):
                conn, addr = self.tcp.accept()
                self.connections.append(addr)
                conn.close()

    def _receive(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(OSError):
                data, addr = self.udp.recvfrom(2048)
                self.datagrams.append((addr, data))

    def prove_alive(self) -> None:
        """One connection and one datagram from the host itself reach the listeners (then forgotten)."""
        with socket.create_connection(("127.0.0.1", self.tcp_port), timeout=2):
            pass
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(b"self", ("127.0.0.1", self.udp_port))
        end = time.monotonic() + 5
        while (not self.connections or not self.datagrams) and time.monotonic() < end:
            time.sleep(0.05)
        assert self.connections and self.datagrams, "the host listeners do not answer on the host itself"
        self.connections.clear()
        self.datagrams.clear()

    def close(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join()
        self.tcp.close()
        self.udp.close()


@dataclass
class Victim:
    """Another sandbox: a listener on `db`, proven alive from `peer` on its own network, and a
    file that must not change."""

    sandbox: object
    ip: str
    canary: str

    def problems(self) -> list[str]:
        out = []
        if self.sandbox.exec("peer", ["nc", "-z", "-w", "2", "db", str(VICTIM_PORT)]).exit_code != 0:
            out.append("the other sandbox's listener no longer answers inside its own network")
        if self.sandbox.exec("db", ["cat", "/root/canary"]).stdout != self.canary:
            out.append("the other sandbox's canary file changed")
        return out


def start_victim(provider, make_spec) -> Victim:
    sb = provider.create(make_spec(("db", "peer"), "opslab/base"))
    canary = secrets.token_hex(16)
    sb.exec("db", ["/bin/sh", "-c", f"printf %s {canary} > /root/canary; "
                   f"setsid nc -lk -p {VICTIM_PORT} >/dev/null 2>&1 < /dev/null &"])
    victim = Victim(sb, sb.exec("db", ["hostname", "-i"]).stdout.split()[0], canary)
    for _ in range(50):
        if not victim.problems():
            return victim
        time.sleep(0.1)
    raise AssertionError(f"the victim sandbox did not come up: {victim.problems()}")


@dataclass
class Run:
    """One image's probe: verdicts by attempt, what the host saw wrong, and how long it took."""

    image: str
    capped: bool = True  # whether the engine caps this sandbox's disk (else the watchdog would act)
    verdicts: dict[str, tuple[str, str]] = field(default_factory=dict)
    host_problems: list[tuple[frozenset | None, str]] = field(default_factory=list)  # (attempts judged, what)
    error: str | None = None
    seconds: float = 0.0
    output: str = ""


def run_probe(sandbox, host: str, env: dict[str, str], timeout: int = 150) -> tuple[dict[str, tuple[str, str]], str]:
    """Copy the probe in (a private folder) and run it as root; verdicts by attempt, raw output."""
    stage = f"opslab-probe-{secrets.token_hex(4)}"
    sandbox.put_files(host, "/run", {f"{stage}/probe.pl": PROBE.read_bytes()})
    res = sandbox.exec(host, ["timeout", "-k", "5", str(timeout), "perl", f"/run/{stage}/probe.pl"],
                       env={f"PROBE_{k}": v for k, v in env.items()})
    verdicts = {}
    for line in res.stdout.splitlines():
        parts = line.split("\t", 3)
        if len(parts) == 4 and parts[0] == "R":
            verdicts[parts[1]] = (parts[2], parts[3])
    return verdicts, res.output


# -- what the host sees --------------------------------------------------------------------------

def docker_root(provider) -> Path:
    return Path(provider.client.info()["DockerRootDir"])


def subvolume(provider, container_id: str) -> Path | None:
    """The container's btrfs subvolume, when the engine stores on btrfs on this machine."""
    root = docker_root(provider)
    with contextlib.suppress(OSError):
        mount_id = (root / "image/btrfs/layerdb/mounts" / container_id / "mount-id").read_text().strip()
        return root / "btrfs/subvolumes" / mount_id
    return None


def host_loss(path: Path) -> int:
    """Bytes of the host's disk that only this subvolume holds (its exclusive bytes)."""
    out = subprocess.run(["btrfs", "qgroup", "show", "-re", "--raw", "--sync", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return int(out.strip().splitlines()[-1].split()[2])


def quota_inconsistent(provider) -> bool:
    """Whether btrfs has stopped counting (qgroups marked inconsistent): then no limit holds
    until `btrfs quota rescan`."""
    uuid = subprocess.run(["findmnt", "-n", "-o", "UUID", "--target", str(docker_root(provider))],
                          capture_output=True, text=True).stdout.strip()
    flag = Path(f"/sys/fs/btrfs/{uuid}/qgroups/inconsistent")
    return flag.is_file() and flag.read_text().strip() == "1"


def cgroup_value(controller: str, container_id: str, name: str) -> int | None:
    """A cgroup v1 value of a container (cgroupfs driver), or None where it is not found here."""
    for path in (Path(f"/sys/fs/cgroup/{controller}/docker/{container_id}/{name}"),
                 Path(f"/sys/fs/cgroup/{controller}/system.slice/docker-{container_id}.scope/{name}")):
        with contextlib.suppress(OSError, ValueError):
            text = path.read_text().strip()
            return -1 if text == "max" else int(text)
    return None


@contextlib.contextmanager
def wall_clock_watch() -> Iterator[list[str]]:
    """Notes a jump of the host's wall clock against its monotonic clock over the block."""
    problems: list[str] = []
    before = time.time() - time.monotonic()
    yield problems
    drift = (time.time() - time.monotonic()) - before
    if abs(drift) > 1.0:
        problems.append(f"the host's wall clock moved by {drift:+.1f} s")
