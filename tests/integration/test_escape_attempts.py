"""Issue #17: escape and abuse attempts from a root shell inside a sandbox of every image.

One sandbox per image (the provider's real security options, a 64 MiB disk cap), one probe
(tests/escape/probe.pl) making every attempt and printing a verdict each, then one test per
attempt × image: the attempt failed, and the host and another sandbox are as they were
(listeners the test runs on the host saw nothing, the other sandbox still answers inside its
own network and its file is unchanged, the firewall rule is in place, the host's clock did not
move, the sandbox's disk, memory and pids stayed within its limits). No traffic leaves this
machine: the network attempts aim at the host's own addresses and at the other sandbox.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from infra.firewall import host_firewall_installed
from infra.images import BASE, image_names
from infra.providers import get_provider
from infra.providers.base import HostSpec, SandboxSpec
from opslab.engine import new_session_id
from tests import escape
from tests.escape import CPUS, DISK, FILES, MEMORY, PIDS, SLACK, HostListener, Run

IMAGES = [BASE, *image_names()]
ATTEMPTS = escape.attempt_names()
HOST_JUDGED = {"host_udp_service", "disk_many_files"}  # the probe cannot see the outcome; the host can


def spec(hosts: tuple[str, ...], image: str) -> SandboxSpec:
    return SandboxSpec(new_session_id(), "escape-attempts", "v1",
                       tuple(HostSpec(h, image, cpus=CPUS, memory_bytes=MEMORY, pids=PIDS) for h in hosts), 900)


def probe_image(prov, image: str, listener: HostListener, victim, host_addrs: list[str]) -> Run:
    """Start a sandbox of `image`, run every attempt in it, judge what the host sees, remove it."""
    run = Run(image, capped=prov.info().disk_cap_enforced)
    t0 = time.monotonic()
    try:
        sb = prov.create(spec(("box",), image))
    except Exception as e:  # noqa: BLE001 -- reported by every test of this image
        run.error = f"could not start a sandbox of {image}: {e}"
        return run
    try:
        cid = prov.client.api.inspect_container(sb.container_name("box"))["Id"]
        env = {"HOST_ADDRS": ",".join(host_addrs), "TCP_PORT": str(listener.tcp_port),
               "UDP_PORT": str(listener.udp_port), "VICTIM_IP": victim.ip, "VICTIM_PORT": str(escape.VICTIM_PORT),
               "MEMORY": str(MEMORY), "PIDS": str(PIDS), "DISK": str(DISK), "CPUS": str(CPUS), "FILES": str(FILES)}
        with escape.wall_clock_watch() as clock:
            run.verdicts, run.output = escape.run_probe(sb, "box", env)
        run.host_problems += [(frozenset({'set_the_clock'}), c) for c in clock] + host_problems(prov, sb, cid)
    finally:
        sb.destroy()
        run.seconds = time.monotonic() - t0
    return run


DISK_ATTEMPTS = frozenset({"disk_fill", "disk_fill_deleted_but_open", "disk_via_engine_files", "disk_many_files",
                           "nested_btrfs_subvolume"})
MEMORY_ATTEMPTS = frozenset({"memory_bomb", "memory_via_tmpfs"})


def host_problems(prov, sb, cid: str) -> list[tuple[frozenset | None, str]]:
    """What the host sees of one attacker sandbox after its attempts (its many files still in
    place), each with the attempts it judges (None: all of them)."""
    problems: list[tuple[frozenset | None, str]] = []
    if not prov.list(sb.session) or not prov.list(sb.session)[0].running:
        problems.append((None, "the sandbox did not survive its own attempts"))
    sub = escape.subvolume(prov, cid)
    if sub is not None and prov.info().disk_cap_enforced:
        if escape.quota_inconsistent(prov):
            problems.append((DISK_ATTEMPTS, "btrfs qgroups are marked inconsistent: the kernel counts nothing and "
                                            "caps no sandbox until `btrfs quota rescan`"))
        lost = escape.host_loss(sub)
        if lost > DISK + SLACK:
            problems.append((DISK_ATTEMPTS, f"the host lost {lost >> 20} MiB to the sandbox, over its {DISK >> 20} MiB cap"))
    engine_files = escape.docker_root(prov) / "containers" / cid
    for name in ("hosts", "hostname", "resolv.conf"):
        f = engine_files / name
        if f.is_file() and f.stat().st_blocks * 512 > 1 << 20:
            problems.append((DISK_ATTEMPTS, f"the engine's {name} file of the sandbox holds {f.stat().st_blocks >> 11} MiB"))
    peak = escape.cgroup_value("memory", cid, "memory.max_usage_in_bytes")
    if peak is not None and peak > MEMORY:
        problems.append((MEMORY_ATTEMPTS, f"memory peaked at {peak >> 20} MiB, over the {MEMORY >> 20} MiB limit"))
    pids_max = escape.cgroup_value("pids", cid, "pids.max")
    if pids_max is not None and pids_max != PIDS:
        problems.append((frozenset({"fork_bomb", "raise_own_cgroup_limits"}), f"pids.max is {pids_max}, not {PIDS}"))
    return problems


def selected_images(request) -> list[str]:
    """The images whose tests this run selected (all of them under `make test`)."""
    wanted = {item.callspec.params["image"] for item in request.session.items
              if item.module is request.module and hasattr(item, "callspec") and "image" in item.callspec.params}
    return [i for i in IMAGES if i in wanted] or IMAGES


@pytest.fixture(scope="module")
def escape_runs(provider, request):
    """Every selected image probed (three at a time), with the host's own checks around each."""
    prov = get_provider("docker", disk_limit_bytes=DISK)
    images = selected_images(request)
    listener = HostListener()
    victim = None
    try:
        listener.prove_alive()
        victim = escape.start_victim(prov, spec)
        host_addrs = escape.host_addresses()
        t0 = time.monotonic()
        with ThreadPoolExecutor(max_workers=3) as pool:
            runs = dict(zip(images, pool.map(lambda i: probe_image(prov, i, listener, victim, host_addrs), images),
                            strict=True))
        total = time.monotonic() - t0
        shared: list[tuple[frozenset | None, str]] = [(None, p) for p in victim.problems()]
        if listener.connections:
            shared.append((None, f"the host's TCP listener accepted connections from {listener.connections}"))
        if not host_firewall_installed(str(prov.pool)):
            shared.append((None, "the host firewall rule for the sandbox pool is gone"))
        prov.client.ping()
        for run in runs.values():
            run.host_problems += shared
        yield runs, total, listener
    finally:
        if victim is not None:
            victim.sandbox.destroy()
        listener.close()


@pytest.mark.parametrize("attempt", ATTEMPTS)
@pytest.mark.parametrize("image", IMAGES)
def test_attempt_fails_and_leaves_the_host_alone(escape_runs, image, attempt):
    runs, _, listener = escape_runs
    run = runs[image]
    assert run.error is None, run.error
    verdict, detail = run.verdicts.get(attempt, ("missing", f"the probe did not report it; its output ends: "
                                                            f"{run.output[-600:]}"))
    if attempt in DISK_ATTEMPTS - {"nested_btrfs_subvolume"} and not run.capped:
        pytest.skip(reason="the engine cannot cap disks; the watchdog that acts instead is judged in test_disk_cap.py "
                           "(and test_the_engine_caps_sandbox_disks fails under make test)")
    if attempt == "host_udp_service":
        assert not listener.datagrams, f"datagrams reached the host's UDP listener: {listener.datagrams[:3]}"
    elif attempt in HOST_JUDGED:
        assert verdict == "host-judged", detail
    else:
        assert verdict == "blocked", f"{attempt} in {image}: {verdict}: {detail}"
    seen = [msg for scope, msg in run.host_problems if scope is None or attempt in scope]
    assert seen == [], f"after the attempts in {image}: {'; '.join(seen)}"


def test_at_least_thirty_attempts_per_image(escape_runs):
    runs, total, _ = escape_runs
    assert len(ATTEMPTS) >= 30
    timings = ", ".join(f"{i.split('/')[1]} {r.seconds:.0f} s" for i, r in runs.items())
    assert all(set(r.verdicts) == set(ATTEMPTS) for r in runs.values() if r.error is None), timings
    assert total < 300, f"the whole suite took {total:.0f} s ({timings})"


def test_the_kernel_is_counting_sandbox_disks(provider):
    """btrfs stops counting (and so capping) every sandbox once its qgroups are marked
    inconsistent, for instance when a subvolume is removed while its qgroup still holds bytes;
    only `btrfs quota rescan` brings the cap back."""
    prov = get_provider("docker", disk_limit_bytes=DISK)
    if not prov.info().disk_cap_enforced or prov.client.info().get("Driver") != "btrfs" or not prov.info().local:
        pytest.skip(reason="the engine does not cap disks with btrfs qgroups on this machine")
    assert not escape.quota_inconsistent(prov), (
        "btrfs qgroups of the engine's data root are marked inconsistent: no sandbox's disk is capped "
        f"until `btrfs quota rescan -w {escape.docker_root(prov)}`")
