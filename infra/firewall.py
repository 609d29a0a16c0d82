"""Host firewall for sandboxes: nothing on a sandbox network may reach the host itself.

Sandbox networks are Docker `internal` bridges (no route out, no route to other bridges),
but an internal bridge still carries a gateway address on the host, so the host's own
services (the web app, Redis, anything bound to 0.0.0.0) would answer. One INPUT rule
drops every packet from the sandbox address pool that is addressed to the host.
"""

from __future__ import annotations

import shutil
import subprocess

from infra.errors import InfraError

_checked: set[str] = set()


def rule(pool: str) -> list[str]:
    return ["INPUT", "-s", pool, "-m", "comment", "--comment", "opslab-sandboxes", "-j", "DROP"]


def ensure_host_firewall(pool: str) -> None:
    """Install the INPUT drop rule for `pool` once per process (idempotent)."""
    if pool in _checked:
        return
    iptables = shutil.which("iptables") or "/usr/sbin/iptables"
    check = subprocess.run([iptables, "-C", *rule(pool)], capture_output=True, text=True)
    if check.returncode != 0:
        add = subprocess.run([iptables, "-I", *rule(pool)], capture_output=True, text=True)
        if add.returncode != 0:
            raise InfraError(
                f"cannot install the sandbox firewall rule ({add.stderr.strip() or add.returncode}); "
                f"run as root once: iptables -I {' '.join(rule(pool))}"
            )
    _checked.add(pool)


def host_firewall_installed(pool: str) -> bool:
    iptables = shutil.which("iptables") or "/usr/sbin/iptables"
    return subprocess.run([iptables, "-C", *rule(pool)], capture_output=True).returncode == 0
