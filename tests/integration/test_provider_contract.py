"""The sandbox provider contract: every provider in infra.providers.PROVIDERS must pass this.

A new back end (kind, Kubernetes pods) is one module plus one line in PROVIDERS; this suite
then runs against it unchanged. It uses only the Provider and Sandbox protocols
(infra.providers.base) and the grader's target protocol (grader.target), never a back end's
own objects. Under `make test` a provider that cannot run here fails; outside it, skips.
"""

from __future__ import annotations

import os
import time

import pytest

from grader.target import load_driver
from infra.errors import ImageMissing, InfraError, SandboxNotFound
from infra.providers import PROVIDERS, UnknownProvider, get_provider
from infra.providers.base import HostSpec, ProviderInfo, SandboxSpec
from opslab.engine import new_session_id

IMAGE = "opslab/base"


@pytest.fixture(scope="module", params=sorted(PROVIDERS))
def prov(request):
    try:
        return get_provider(request.param, disk_limit_bytes=64 << 20)
    except InfraError as e:
        if os.environ.get("OPSLAB_REQUIRE_DOCKER"):
            pytest.fail(f"make test needs the {request.param} provider to run here: {e}")
        pytest.skip(reason=f"provider {request.param} cannot run here: {e}")


@pytest.fixture
def made(prov):
    """Sandboxes a test creates, destroyed afterwards whatever happens."""
    sandboxes = []
    yield sandboxes
    for sb in sandboxes:
        sb.destroy()


def spec(hosts=("a", "b"), ttl=600, **kw) -> SandboxSpec:
    return SandboxSpec(new_session_id(), "contract-lab", "v1",
                       tuple(HostSpec(h, kw.get("image", IMAGE), memory_bytes=128 << 20, pids=128) for h in hosts),
                       ttl_seconds=ttl, params=kw.get("params", {}))


def create(prov, made, **kw):
    sb = prov.create(spec(**kw))
    made.append(sb)
    return sb


def test_info_describes_the_back_end(prov):
    info = prov.info()
    assert isinstance(info, ProviderInfo) and info.name == prov.name
    assert info.max_hosts >= 2 and info.disk_limit_bytes == 64 << 20
    assert isinstance(info.disk_cap_enforced, bool) and info.runtime and info.target_driver


def test_a_sandbox_keeps_its_lab_parameters(prov, made):
    params = {"service_user": "svc-orders", "db_port": 5471}
    sb = create(prov, made, hosts=("a",), params=params)
    again = prov.get(sb.session)
    assert sb.params == again.params == params and again.target()["params"] == params
    assert next(i for i in prov.list() if i.session == sb.session).params == params
    plain = create(prov, made, hosts=("a",))
    assert prov.get(plain.session).params == {} and plain.target()["params"] == {}


def test_an_unknown_provider_names_the_known_ones():
    with pytest.raises(UnknownProvider, match="known: docker"):
        get_provider("nope")


def test_create_get_list_and_destroy(prov, made):
    sb = create(prov, made)
    assert sb.hosts == ("a", "b") and sb.lab == "contract-lab" and sb.lab_version == "v1"
    again = prov.get(sb.session)
    assert again.session == sb.session and again.hosts == sb.hosts
    row = next(i for i in prov.list() if i.session == sb.session)
    assert row.running and row.hosts == ("a", "b") and row.expires > time.time()
    sb.destroy()
    sb.destroy()  # safe twice
    with pytest.raises(SandboxNotFound):
        prov.get(sb.session)


def test_a_host_that_stops_is_reported_down(prov, made):
    """What the platform's health check reads (SandboxInfo.down): a host that stopped, by name."""
    sb = create(prov, made)
    try:
        sb.exec("b", ["kill", "-TERM", "1"])  # its init ends, and the host with it
    except InfraError:
        pass  # the exec may go down with the host
    end = time.monotonic() + 20
    while (row := next(i for i in prov.list() if i.session == sb.session)).running:
        assert time.monotonic() < end, "a stopped host is still reported running"
        time.sleep(0.2)
    assert [h for h, _ in row.down] == ["b"] and row.down[0][1]


def test_exec_runs_as_root_with_env_and_exit_codes(prov, made):
    sb = create(prov, made, hosts=("a",))
    out = sb.exec("a", ["/bin/sh", "-c", 'id -u; echo "$GREETING"; pwd; echo oops >&2; exit 3'],
                  env={"GREETING": "hi"})
    assert out.exit_code == 3 and out.stdout.split() == ["0", "hi", "/root"] and "oops" in out.stderr


def test_hosts_reach_each_other_by_name_and_nothing_else(prov, made):
    sb = create(prov, made)
    assert sb.exec("a", ["getent", "hosts", "b"]).exit_code == 0
    other = create(prov, made, hosts=("c",))
    # a name of another sandbox resolves at once if it resolves at all: the engine's DNS answers
    # from its own table, and waiting out the lookup of a name it does not know takes ~20 s
    found = sb.exec("a", ["timeout", "3", "getent", "hosts", other.hosts[0]])
    assert found.exit_code != 0 and not found.stdout.strip()


def test_files_go_in_private_and_come_out_capped(prov, made, tmp_path):
    sb = create(prov, made, hosts=("a",))
    sb.put_files("a", "/run", {"stage/x/script.sh": b"echo hi\n"})
    mode = sb.exec("a", ["stat", "-c", "%a", "/run/stage", "/run/stage/x/script.sh"]).stdout.split()
    assert mode == ["700", "700"]
    out = sb.copy_out("a", "/run/stage", tmp_path)
    assert (out / "x" / "script.sh").read_text() == "echo hi\n"


def test_changes_are_listed_archived_and_put_back(prov, made, tmp_path):
    """What saved practice work needs (opslab.saved_work): the diff, a capped tar, a restore."""
    from infra.archive import ArchiveTooLarge

    first, second = create(prov, made, hosts=("a",)), create(prov, made, hosts=("a",))
    first.exec("a", ["/bin/sh", "-c", "mkdir /srv/w && echo hi > /srv/w/f && chmod 640 /srv/w/f && rm /etc/issue"])
    changes = dict(first.changes("a"))
    assert (changes["/srv/w"], changes["/srv/w/f"], changes["/etc/issue"]) == (1, 1, 2)
    size = first.archive("a", ["/srv/w", "/srv/w/f"], tmp_path / "a.tar", limit=1 << 20)
    assert size == (tmp_path / "a.tar").stat().st_size > 0
    with pytest.raises(ArchiveTooLarge):
        first.archive("a", ["/srv/w", "/srv/w/f"], tmp_path / "b.tar", limit=100)
    second.restore_archive("a", tmp_path / "a.tar")
    assert second.exec("a", ["stat", "-c", "%a %n", "/srv/w/f"]).stdout == "640 /srv/w/f\n"


def test_a_tty_echoes_and_closes(prov, made):
    sb = create(prov, made, hosts=("a",))
    tty = sb.attach_tty("a", cols=100, rows=30)
    try:
        tty.socket.sendall(b"stty size; echo contract-$((6*7))\n")
        seen, deadline = b"", time.monotonic() + 10
        tty.socket.settimeout(1)
        while b"contract-42" not in seen and time.monotonic() < deadline:
            try:
                seen += tty.socket.recv(4096)
            except TimeoutError:
                pass
        assert b"contract-42" in seen and b"30 100" in seen
    finally:
        tty.close()


def test_a_shell_command_names_the_host(prov, made):
    sb = create(prov, made, hosts=("a",))
    argv = sb.shell_command("a", interactive=False)
    assert argv and any(sb.session in a for a in argv)
    with pytest.raises(InfraError):
        sb.shell_command("nope")


def test_disk_usage_counts_what_a_sandbox_wrote(prov, made):
    sb = create(prov, made, hosts=("a",))
    assert sb.exec("a", ["sh", "-c", "head -c 3000000 /dev/urandom > /root/blob"]).exit_code == 0
    assert prov.disk_usage(sb.session)[sb.session].bytes >= 3_000_000


def test_a_missing_image_leaves_nothing_behind(prov):
    bad = spec(hosts=("a",), image="opslab/does-not-exist")
    with pytest.raises(ImageMissing):
        prov.create(bad)
    assert [i for i in prov.list() if i.session == bad.session] == []


def test_a_session_cannot_be_created_twice(prov, made):
    sb = create(prov, made, hosts=("a",))
    again = SandboxSpec(sb.session, "contract-lab", "v1", (HostSpec("a", IMAGE),))
    with pytest.raises(InfraError, match="already has a sandbox"):
        prov.create(again)


def test_reap_removes_the_expired_but_keeps_what_it_is_told(prov, made):
    gone = create(prov, made, hosts=("a",), ttl=1)
    kept = create(prov, made, hosts=("a",), ttl=1)
    live = create(prov, made, hosts=("a",))
    removed = prov.reap(now=time.time() + 5, keep=frozenset({kept.session}))
    assert gone.session in removed and kept.session not in removed and live.session not in removed
    assert prov.get(kept.session) and prov.get(live.session)


def test_the_grader_reaches_hosts_through_the_target_driver(prov, made, tmp_path):
    sb = create(prov, made, hosts=("a",))
    sb.exec("a", ["sh", "-c", "echo judged > /root/fact"])
    target = sb.target()
    assert list(target["hosts"]) == ["a"]
    host = load_driver(target).host_target(target["hosts"]["a"])
    rc, out, _ = host.run(["/bin/cat", "/root/fact"], {"PATH": "/usr/bin:/bin"})
    assert (rc, out) == (0, b"judged\n")
    assert host.is_changed("/root/fact") and not host.is_changed("/usr/bin/env")
    assert "/root/fact" in host.changed_paths()
    assert (host.copy_out("/root/fact", tmp_path)).read_text() == "judged\n"
    facts = host.snapshot("/root/fact")
    assert facts["/root/fact"][0] == "file"
    with pytest.raises(FileNotFoundError):
        host.copy_out("/root/absent", tmp_path)
