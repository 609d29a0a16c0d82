"""Docker provider: each sandbox is one internal bridge network plus one container per host.

Secure defaults: every capability dropped but a short allow-list, no new privileges,
pids/memory/cpu limits, no Docker socket, a network with no route out and a host firewall
rule so the host's own services do not answer. A stronger runtime (gVisor `runsc`) is used
when OPSLAB_RUNTIME names it. Disk is capped by the engine where its storage driver can;
elsewhere the watchdog (infra.watchdog) ends a sandbox that fills its disk.
"""

from __future__ import annotations

import contextlib
import io
import ipaddress
import os
import secrets
import socket
import subprocess
import tarfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docker
import docker.errors
from docker.types import EndpointConfig

from infra import seccomp
from infra.archive import ArchiveTooLarge, extract_archive
from infra.errors import EngineUnavailable, ImageMissing, InfraError, SandboxNotFound
from infra.firewall import ensure_host_firewall
from infra.providers import btrfs_quota, docker_disk
from infra.providers.base import (
    LABEL_EXPIRES,
    LABEL_HOST,
    LABEL_HOSTS,
    LABEL_LAB,
    LABEL_LAB_VERSION,
    LABEL_PARAMS,
    LABEL_SESSION,
    BuildResult,
    DiskUsage,
    ExecResult,
    ProviderInfo,
    SandboxInfo,
    SandboxSpec,
    Tty,
    params_from_label,
)

# What a root user in a lab needs (own files, switch users, bind :80, signal its own
# processes) and nothing that reaches the kernel: no SYS_ADMIN, NET_ADMIN, SYS_PTRACE, MKNOD.
CAP_ALLOW = [
    "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
    "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "AUDIT_WRITE",
]
DEFAULT_POOL = "10.213.0.0/16"   # sandbox networks are /28s carved from this pool
SUBNET_PREFIX = 28
BRIDGE_PREFIX = "opsl"            # host-side bridge names: opsl<11 hex of the session>
TARGET_DRIVER = "infra.providers.docker_target"  # meets grader.target's protocols
DISK_CAPPING_DRIVERS = {"btrfs", "zfs", "devicemapper"}
# The engine's own read-only paths (moby's defaults, which a custom list replaces) plus the three
# files it bind-mounts into every container from its own folder, outside the sandbox's disk
# cap: writable, one sandbox could fill the engine's whole data root through /etc/hosts.
READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
                  "/etc/hosts", "/etc/hostname", "/etc/resolv.conf"]
DEFAULT_INODES = 50_000  # files a sandbox may create where the engine cannot cap its disk
EXEC_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root",
            "LANG": "C.UTF-8", "TERM": "xterm-256color"}


def _name(session: str, host: str | None = None) -> str:
    return f"opslab-{session}-{host}" if host else f"opslab-{session}"


class DockerSandbox:
    """A live sandbox, rebuilt from labels: session, lab, and its containers by host name."""

    def __init__(self, client: docker.DockerClient, session: str, lab: str, lab_version: str,
                 hosts: tuple[str, ...], expires: int, params: dict | None = None):
        self.client, self.session, self.lab, self.lab_version = client, session, lab, lab_version
        self.hosts, self.expires, self.params = hosts, expires, dict(params or {})

    def container_name(self, host: str) -> str:
        if host not in self.hosts:
            raise InfraError(f"sandbox {self.session} has no host {host!r}; hosts: {', '.join(self.hosts)}")
        return _name(self.session, host)

    def target(self) -> dict:
        return {"driver": TARGET_DRIVER,
                "hosts": {h: f"docker://{_name(self.session, h)}" for h in self.hosts},
                "params": dict(self.params)}

    def shell_command(self, host: str, interactive: bool = True) -> list[str]:
        return ["docker", "exec", "-it" if interactive else "-i", "-w", "/root", self.container_name(host),
                "/bin/bash", "-l"]

    def exec(self, host: str, cmd: list[str], env: dict | None = None, workdir: str = "/root") -> ExecResult:
        api = self.client.api
        try:
            ex = api.exec_create(self.container_name(host), cmd, environment={**EXEC_ENV, **(env or {})},
                                 workdir=workdir, user="root")
            out, err = api.exec_start(ex["Id"], demux=True)
            code = api.exec_inspect(ex["Id"])["ExitCode"]
        except docker.errors.NotFound:
            raise SandboxNotFound(self.session) from None
        return ExecResult(code if code is not None else -1, (out or b"").decode(errors="replace"),
                          (err or b"").decode(errors="replace"))

    def attach_tty(self, host: str, cols: int = 80, rows: int = 24) -> Tty:
        api = self.client.api
        name = self.container_name(host)
        # A marked login shell (argv[0] "-opslab-tty-<token>"), so closing the terminal can end
        # it: the engine keeps a TTY exec alive after its socket closes.
        mark = f"-opslab-tty-{secrets.token_hex(6)}"
        ex = api.exec_create(name, ["/bin/bash", "-c", f"exec -a {mark} /bin/bash"], stdin=True, tty=True,
                             environment=EXEC_ENV, workdir="/root", user="root")
        sock = api.exec_start(ex["Id"], tty=True, socket=True)
        api.exec_resize(ex["Id"], height=rows, width=cols)

        def resize(c: int, r: int) -> None:
            api.exec_resize(ex["Id"], height=r, width=c)

        def close() -> None:
            raw = getattr(sock, "_sock", sock)
            with contextlib.suppress(OSError):
                raw.shutdown(socket.SHUT_RDWR)
            raw.close()
            with contextlib.suppress(docker.errors.APIError, SandboxNotFound):
                self.exec(host, ["pkill", "-HUP", "-f", "--", mark])

        return Tty(getattr(sock, "_sock", sock), resize, close)

    def put_files(self, host: str, dest: str, files: dict[str, bytes | Path]) -> None:
        """Write several files (relative path -> bytes or local path) under folder `dest`;
        folders on the way are created private (0700)."""
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            parents = sorted({str(p) for rel in files for p in Path(rel).parents if str(p) != "."})
            for folder in parents:
                info = tarfile.TarInfo(folder)
                info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o700, int(time.time())
                tar.addfile(info)
            for rel, content in files.items():
                if isinstance(content, Path):
                    tar.add(str(content), arcname=rel)
                    continue
                info = tarfile.TarInfo(rel)
                info.size, info.mode, info.mtime = len(content), 0o700, int(time.time())
                tar.addfile(info, io.BytesIO(content))
        self.client.api.put_archive(self.container_name(host), dest, buf.getvalue())

    def copy_out(self, host: str, src: str, dest: Path) -> Path:
        try:
            stream, _ = self.client.api.get_archive(self.container_name(host), src)
        except docker.errors.NotFound:
            raise InfraError(f"{src} does not exist on host {host!r}") from None
        extract_archive(stream, dest)
        return dest / Path(src.rstrip("/")).name

    def changes(self, host: str) -> list[tuple[str, int]]:
        """What changed on a host since its image, from the engine's diff: (path, kind), kind
        0 modified, 1 added, 2 deleted."""
        try:
            diff = self.client.api.diff(self.container_name(host)) or []
        except docker.errors.NotFound:
            raise SandboxNotFound(self.session) from None
        return [(c["Path"], c["Kind"]) for c in diff]

    def archive(self, host: str, paths: list[str], dest: Path, limit: int) -> int:
        """Write a tar of these absolute paths (folders without their contents; owners,
        modes and links kept) to the local file `dest`; its size, or ArchiveTooLarge past
        `limit` bytes. Paths that vanish meanwhile are left out."""
        stage = f"opslab-save-{secrets.token_hex(4)}"
        self.put_files(host, "/run", {f"{stage}/paths": "\0".join(p.lstrip("/") for p in paths).encode()})
        script = (f"tar -C / --create --no-recursion --null --numeric-owner --ignore-failed-read "
                  f"--files-from=/run/{stage}/paths --file=- 2>/run/{stage}/err; rc=$?; "
                  f"[ $rc -le 1 ] || head -c 300 /run/{stage}/err >&2; rm -rf /run/{stage}; exit $rc")
        api = self.client.api
        try:
            ex = api.exec_create(self.container_name(host), ["/bin/sh", "-c", script], environment=EXEC_ENV,
                                 workdir="/", user="root")
            size, err = 0, b""
            with open(dest, "wb") as out:
                for chunk_out, chunk_err in api.exec_start(ex["Id"], stream=True, demux=True):
                    if chunk_out:
                        size += len(chunk_out)
                        if size > limit:
                            raise ArchiveTooLarge(f"more than {limit} bytes")
                        out.write(chunk_out)
                    err += (chunk_err or b"")[:1000]
            code = api.exec_inspect(ex["Id"])["ExitCode"]
        except docker.errors.NotFound:
            raise SandboxNotFound(self.session) from None
        if code not in (0, 1):
            raise InfraError(f"could not archive the changes on host {host!r} (tar exited {code}): "
                             f"{err.decode(errors='replace').strip()}")
        return size

    def restore_archive(self, host: str, tar: Path) -> None:
        """Unpack a local tar at the host's root, as root, owners and modes as in the tar."""
        with open(tar, "rb") as data:
            try:
                self.client.api.put_archive(self.container_name(host), "/", data)
            except docker.errors.NotFound:
                raise SandboxNotFound(self.session) from None

    def destroy(self) -> None:
        _remove_session(self.client, self.session)


NETWORK_REMOVE_WAIT = 15  # seconds a network waits for a container another caller is removing


def _remove_session(client: docker.DockerClient, session: str) -> None:
    for c in client.containers.list(all=True, filters={"label": f"{LABEL_SESSION}={session}"}):
        try:
            c.remove(force=True, v=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as e:
            if e.status_code != 409:  # 409: its removal is already under way (someone else's)
                raise
    for n in client.networks.list(filters={"label": f"{LABEL_SESSION}={session}"}):
        end = time.monotonic() + NETWORK_REMOVE_WAIT
        while True:
            try:
                n.remove()
                break
            except docker.errors.NotFound:
                break
            except docker.errors.APIError as e:
                # "has active endpoints": a container of it is still being removed
                if e.status_code not in (403, 409) or time.monotonic() > end:
                    raise
                time.sleep(0.3)


class DockerProvider:
    """Creates sandboxes on one Docker engine (DOCKER_HOST or the local socket)."""

    name = "docker"

    def __init__(self, client: docker.DockerClient | None = None, pool: str | None = None,
                 runtime: str | None = None, disk_limit_bytes: int = 2 << 30, inode_limit: int = DEFAULT_INODES):
        try:
            self.client = client or docker.from_env(timeout=120)
            self.client.ping()
        except docker.errors.DockerException as e:
            raise EngineUnavailable(str(e).split("(")[0].strip() or type(e).__name__) from None
        self.pool = ipaddress.ip_network(pool or os.environ.get("OPSLAB_SANDBOX_POOL", DEFAULT_POOL))
        self.runtime = runtime or os.environ.get("OPSLAB_RUNTIME") or None
        self.disk_limit_bytes, self.inode_limit = disk_limit_bytes, inode_limit
        self._storage: dict[str, tuple[str | None, int]] = {}  # container id -> (upper layer, init pid)
        self._subnet_lock = threading.Lock()
        self._storage_driver: str | None = None

    def info(self) -> ProviderInfo:
        return ProviderInfo(name=self.name, runtime=self.runtime or "runc", disk_cap_enforced=self.caps_disk,
                            disk_limit_bytes=self.disk_limit_bytes, max_hosts=8, local=self._local,
                            target_driver=TARGET_DRIVER, inode_limit=0 if self.caps_disk else self.inode_limit)

    @property
    def _local(self) -> bool:
        return self.client.api.base_url.startswith(("http+docker://localhost", "http+docker://localunixsocket"))

    # -- creation ---------------------------------------------------------------------------

    @property
    def caps_disk(self) -> bool:
        """Whether the engine's storage driver enforces --storage-opt size."""
        if self._storage_driver is None:
            self._storage_driver = self.client.info().get("Driver", "")
        return self._storage_driver in DISK_CAPPING_DRIVERS

    def create(self, spec: SandboxSpec) -> DockerSandbox:
        ensure_host_firewall(str(self.pool))
        security = self._security_opts()
        image_sizes = {}
        for h in spec.hosts:
            try:
                image_sizes[h.image] = self.client.api.inspect_image(h.image).get("Size") or 0
            except docker.errors.ImageNotFound:
                raise ImageMissing(h.image) from None
        if self.client.containers.list(all=True, filters={"label": f"{LABEL_SESSION}={spec.session}"}):
            raise InfraError(f"session {spec.session!r} already has a sandbox; stop it first")
        labels = spec.labels()
        try:
            network = self._create_network(spec, labels)
            with ThreadPoolExecutor(max_workers=len(spec.hosts)) as pool:
                list(pool.map(lambda h: self._create_host(spec, h, labels, network, image_sizes[h.image], security),
                              spec.hosts))
        except BaseException as e:
            _remove_session(self.client, spec.session)  # no half-built sandboxes
            if isinstance(e, docker.errors.APIError):
                raise InfraError(f"creating sandbox {spec.session} failed: {e.explanation or e}") from None
            raise
        return DockerSandbox(self.client, spec.session, spec.lab, spec.lab_version,
                             tuple(h.name for h in spec.hosts), int(labels[LABEL_EXPIRES]), spec.params)

    def _create_network(self, spec: SandboxSpec, labels: dict) -> str:
        name = _name(spec.session)
        bridge = BRIDGE_PREFIX + spec.session.replace("-", "")[:11]
        for _ in range(20):  # another process may take the same free subnet: retry
            with self._subnet_lock:
                subnet = self._free_subnet()
                ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=str(subnet))])
                try:
                    self.client.networks.create(
                        name, driver="bridge", internal=True, labels=labels, ipam=ipam,
                        options={"com.docker.network.bridge.name": bridge,
                                 "com.docker.network.bridge.enable_icc": "true"})
                    return name
                except docker.errors.APIError as e:
                    if "overlap" not in str(e).lower():
                        raise
        raise InfraError(f"20 subnets of the sandbox pool {self.pool} were taken by others while this sandbox "
                         "started; try again (a larger OPSLAB_SANDBOX_POOL helps on a busy engine)")

    def _free_subnet(self) -> ipaddress.IPv4Network:
        used = []
        for n in self.client.api.networks():
            for cfg in (n.get("IPAM") or {}).get("Config") or []:
                if cfg.get("Subnet"):
                    used.append(ipaddress.ip_network(cfg["Subnet"], strict=False))
        free = [c for c in self.pool.subnets(new_prefix=SUBNET_PREFIX) if not any(c.overlaps(u) for u in used)]
        if not free:
            raise InfraError(f"no free subnet left in the sandbox pool {self.pool}; reap old sandboxes")
        # A random free one, not the first: processes starting sandboxes at once (workers, the
        # CLI, a validate run) would otherwise all race for the same subnet and retry in step.
        return secrets.choice(free[:256])

    def _security_opts(self) -> list[str]:
        """no-new-privileges and opslab's seccomp profile (the engine's default without io_uring
        or nested btrfs subvolumes, infra.seccomp) when it is installed; on btrfs it must be, since
        a nested subvolume would escape the disk cap."""
        profile = seccomp.sandbox_profile()
        if profile is not None:
            return ["no-new-privileges:true", f"seccomp={profile}"]
        if not (self.caps_disk and self._storage_driver == "btrfs"):
            return ["no-new-privileges:true"]
        raise InfraError(
            f"sandboxes on a btrfs engine need the engine's default seccomp profile at {seccomp.DEFAULT_PROFILE}, "
            "which opslab extends to refuse nested btrfs subvolumes (they would escape the disk cap); "
            "run `sudo infra/setup/seccomp-default.sh` (`make docker` does)")

    def _create_host(self, spec: SandboxSpec, host, labels: dict, network: str, image_size: int,
                     security: list[str]) -> None:
        api = self.client.api
        # The engine's cap counts what the container references: the image's files and their
        # metadata (~7% more on btrfs) plus what the sandbox writes. On this machine the
        # subvolume's exclusive bytes are capped exactly, below (_cap_exclusive).
        quota = {"size": str(self.disk_limit_bytes + image_size * 9 // 8 + (16 << 20))} if self.caps_disk else None
        host_config = api.create_host_config(
            cap_drop=["ALL"], cap_add=CAP_ALLOW, security_opt=security,
            pids_limit=host.pids, mem_limit=host.memory_bytes, memswap_limit=host.memory_bytes,
            nano_cpus=int(host.cpus * 1e9), init=True, network_mode=network,
            tmpfs={p: f"size={size},mode=755" for p, size in host.tmpfs.items()},
            storage_opt=quota,
            runtime=self.runtime, log_config={"Type": "none", "Config": {}},
        )
        host_config["ReadonlyPaths"] = READONLY_PATHS
        c = api.create_container(
            host.image, command=["sleep", "infinity"], name=_name(spec.session, host.name),
            hostname=host.name, labels={**labels, LABEL_HOST: host.name}, host_config=host_config,
            networking_config={network: EndpointConfig(api.api_version, aliases=[host.name])},
            environment={"OPSLAB_HOST": host.name},
        )
        if self.caps_disk and self._storage_driver == "btrfs" and self._local:
            self._cap_exclusive(c["Id"])
        api.start(c["Id"])

    def _cap_exclusive(self, container_id: str) -> None:
        """Cap what only this container holds (its btrfs subvolume's exclusive bytes: exactly
        what the host loses, whatever it deletes of its image) at the disk limit."""
        root = Path(self.client.info()["DockerRootDir"])
        try:
            mount_id = (root / "image/btrfs/layerdb/mounts" / container_id / "mount-id").read_text().strip()
        except OSError:
            return  # the engine's storage is not readable from here: its own cap alone
        try:
            out = subprocess.run(["btrfs", "qgroup", "limit", "-e", str(self.disk_limit_bytes),
                                  str(root / "btrfs/subvolumes" / mount_id)], capture_output=True, text=True)
        except FileNotFoundError:
            raise InfraError("capping a sandbox's disk on btrfs needs the btrfs command: "
                             "`sudo apt-get install btrfs-progs` (`make docker` installs it)") from None
        if out.returncode != 0:
            raise InfraError(f"cannot cap the sandbox's disk: btrfs qgroup limit: {out.stderr.strip()}")

    # -- lookup and clean-up ----------------------------------------------------------------

    def get(self, session: str) -> DockerSandbox:
        for info in self.list(session):
            if info.session == session:
                return DockerSandbox(self.client, session, info.lab, info.lab_version, info.hosts, info.expires,
                                     info.params)
        raise SandboxNotFound(session)

    def list(self, session: str | None = None) -> list[SandboxInfo]:
        label = f"{LABEL_SESSION}={session}" if session else LABEL_SESSION
        rows: dict[str, dict] = {}
        for c in self.client.api.containers(all=True, filters={"label": label}):
            lab = c["Labels"]
            row = rows.setdefault(lab[LABEL_SESSION], {
                "lab": lab.get(LABEL_LAB, "?"), "version": lab.get(LABEL_LAB_VERSION, ""),
                "expires": int(lab.get(LABEL_EXPIRES, "0") or 0), "created": c["Created"],
                "hosts": tuple(filter(None, lab.get(LABEL_HOSTS, "").split(","))), "seen": {},
                "params": params_from_label(lab.get(LABEL_PARAMS))})
            row["seen"][lab.get(LABEL_HOST, "?")] = c
        infos = []
        for s, r in sorted(rows.items(), key=lambda kv: kv[1]["created"]):
            hosts = r["hosts"] or tuple(sorted(r["seen"]))
            down = tuple((h, self._why_down(r["seen"].get(h))) for h in hosts
                         if h not in r["seen"] or r["seen"][h]["State"] != "running")
            infos.append(SandboxInfo(s, r["lab"], r["version"], r["expires"], hosts, not down, r["params"], down))
        return infos

    def _why_down(self, container: dict | None) -> str:
        """What the engine says of a host that is not running, in a few words."""
        if container is None or container["State"] == "removing":  # caught mid-removal: as good as gone
            return "removed"
        if container["State"] not in ("exited", "dead"):
            return container["State"]  # created, paused, restarting
        try:
            state = self.client.api.inspect_container(container["Id"])["State"]
        except docker.errors.NotFound:
            return "removed"
        return "out of memory" if state.get("OOMKilled") else f"exited {state.get('ExitCode', '?')}"

    def reap(self, now: float | None = None, orphan_grace: int = 120, keep: frozenset[str] = frozenset()) -> list[str]:
        """Remove sandboxes past their expiry and networks left without containers.

        A network younger than `orphan_grace` seconds may belong to a sandbox being created;
        sessions in `keep` are waiting for their final grade and stay, expired or not.
        """
        now = now or time.time()
        if self.caps_disk and self._storage_driver == "btrfs" and self._local:
            btrfs_quota.keep_counting(self.client.info()["DockerRootDir"])  # else the kernel caps nothing
        removed = []
        for info in self.list():
            if info.expires <= now and info.session not in keep:
                _remove_session(self.client, info.session)
                removed.append(info.session)
        live = {i.session for i in self.list()}
        for n in self.client.networks.list(filters={"label": LABEL_SESSION}):
            session = n.attrs["Labels"].get(LABEL_SESSION)
            created = n.attrs.get("Created", "")
            if session not in live and not _recent(created, now, orphan_grace):
                _remove_session(self.client, session)
                removed.append(session)
        return removed


    def disk_usage(self, session: str | None = None) -> dict[str, DiskUsage]:
        """On this machine with overlay2: allocated blocks and entries of each container's upper
        layer plus files deleted but held open by its processes (infra.providers.docker_disk);
        elsewhere the engine's SizeRw (file sizes written)."""
        label = f"{LABEL_SESSION}={session}" if session else LABEL_SESSION
        used: dict[str, DiskUsage] = {}
        rows = self.client.api.containers(all=True, filters={"label": label})
        if session is None:  # forget containers that are gone
            live = {c["Id"] for c in rows}
            self._storage = {i: v for i, v in self._storage.items() if i in live}
        unread = []
        spaces = None
        for c in rows:
            upper, pid = self._storage_of(c["Id"])
            if upper is None:
                unread.append(c["Id"])
                continue
            blocks, inodes = docker_disk.upper_usage(Path(upper), self.inode_limit)
            held = 0
            if pid and c["State"] == "running":
                spaces = spaces if spaces is not None else docker_disk.pid_namespaces()
                held = docker_disk.held_deleted(spaces.get(docker_disk.namespace_of(pid) or "", []), pid)
            _keep_largest(used, c["Labels"][LABEL_SESSION], DiskUsage(blocks + held, inodes, held))
        if unread:
            for c in self.client.api.containers(all=True, size=True, filters={"label": label}):
                if c["Id"] in unread:
                    _keep_largest(used, c["Labels"][LABEL_SESSION], DiskUsage(c.get("SizeRw") or 0))
        return used

    def _storage_of(self, container_id: str) -> tuple[str | None, int]:
        """(upper layer readable here, init pid) of a container, looked up once."""
        if container_id not in self._storage:
            try:
                c = self.client.api.inspect_container(container_id)
            except docker.errors.NotFound:
                return None, 0
            graph = c.get("GraphDriver") or {}
            upper = (graph.get("Data") or {}).get("UpperDir")
            ok = self._local and graph.get("Name") == "overlay2" and upper and os.access(upper, os.R_OK | os.X_OK)
            self._storage[container_id] = (upper if ok else None, (c.get("State") or {}).get("Pid") or 0)
        return self._storage[container_id]

    # -- images -----------------------------------------------------------------------------

    def build_images(self, names: list[str] | None, progress, force: bool = False,
                     pull: bool = False) -> list[BuildResult]:
        from infra import images

        return images.build_all(self.client, progress, names=names, force=force, pull=pull)

    def build_lab_image(self, tag: str, folder: Path, progress, force: bool = False) -> BuildResult:
        from infra import images

        return images.build_image(self.client, tag, progress, force, folder=folder)


def _keep_largest(used: dict[str, DiskUsage], session: str, usage: DiskUsage) -> None:
    if session not in used or usage.bytes > used[session].bytes:
        used[session] = DiskUsage(usage.bytes, max(usage.inodes, used.get(session, usage).inodes), usage.held_deleted)


def _recent(created: str, now: float, grace: int) -> bool:
    from datetime import datetime

    try:
        ts = datetime.fromisoformat(created[:26].rstrip("Z") + "+00:00").timestamp()
    except ValueError:
        return False
    return now - ts < grace
