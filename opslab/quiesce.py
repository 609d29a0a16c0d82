"""Before a final grade: nothing of the candidate's runs, only the lab's declared services.

A process the candidate leaves behind could act while the checks run (tighten permissions
while they look, loosen them afterwards). Before the grade that goes on the report, every
process on every host that declares `services:` (lab.yaml) is stopped, and only those
commands start again. Practice Checks never do this.
"""

from __future__ import annotations

from grader.lab import Lab
from grader.target import load_driver
from grader.trust import ENV as GRADER_ENV
from grader.trust import forged_tools
from infra.providers.base import Sandbox

# Stop every process but the container's init (PID 1) and its first child (the container's
# own command, which the container lives by), using nothing but the shell's builtins: freeze
# them all first (a stopped process cannot fork or react), pass again until no new process
# appears, then kill what was frozen.
QUIESCE = r"""
main= first=
for d in /proc/[0-9]*; do
  p=${d#/proc/}
  [ "$p" = 1 ] && continue
  read -r stat < "$d/stat" 2>/dev/null || continue
  set -- ${stat##*) }
  if [ "$2" = 1 ] && { [ -z "$first" ] || [ "${20}" -lt "$first" ]; }; then main=$p first=${20}; fi
done
frozen=" " rounds=0
while [ $rounds -lt 50 ]; do
  rounds=$((rounds + 1)) new=0
  for d in /proc/[0-9]*; do
    p=${d#/proc/}
    case "$p" in 1|$$|"$main") continue ;; esac
    case "$frozen" in *" $p "*) continue ;; esac
    kill -STOP "$p" 2>/dev/null && frozen="$frozen$p " new=1
  done
  [ $new = 0 ] && break
done
for p in $frozen; do kill -KILL "$p" 2>/dev/null; done
echo "stopped $(set -- $frozen; echo $#) processes"
"""
SERVICE_TIMEOUT = 60  # seconds a service's start command may take before the final grade


def quiesce(sandbox: Sandbox, lab: Lab) -> dict[str, list[str]]:
    """Before a final grade: on every host that declares `services:` (lab.yaml; `[]` for none),
    stop every process the candidate left running, then start only those services, in host
    order, each unless a tool it names changed since the image. Returns, per host, the services not started or
    whose start command failed (the grade then shows what is not running). Safe to run twice."""
    failed: dict[str, list[str]] = {}
    target = sandbox.target()
    driver = load_driver(target)
    for host in lab.hosts:
        if host.services is None:
            continue  # the lab grades this host's live processes as the candidate left them
        sandbox.exec(host.name, ["/bin/sh", "-c", QUIESCE], env=GRADER_ENV, workdir="/")
        host_target = driver.host_target(target["hosts"][host.name])
        for command in host.services:
            # a tool of the command (or the timeout around it) the candidate replaced could
            # start anything: such a service is not started, and the grade sees it down
            if forged_tools(host_target, f"/usr/bin/timeout {command}"):
                failed.setdefault(host.name, []).append(command)
                continue
            r = sandbox.exec(host.name, ["/usr/bin/timeout", "-k", "5", str(SERVICE_TIMEOUT), "/bin/sh", "-c",
                                         f"exec </dev/null >/dev/null 2>&1; {command}"], env=GRADER_ENV, workdir="/")
            if r.exit_code != 0:
                failed.setdefault(host.name, []).append(command)
    return failed
