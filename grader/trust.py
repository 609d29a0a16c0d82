"""What the grader refuses to run through: tools and loader files changed since the image.

A candidate is root in the sandbox and could replace any program a check runs. Two guards:
- `tampered`: the shell and loader every command goes through; a host where one changed is
  not graded at all (grader.plugin).
- `forged_tools`: the tools one command names; a check whose command would run a changed
  tool fails saying so (grader.backend).
Both ask the target's engine what changed (grader.target.HostTarget.is_changed).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from grader.target import HostTarget

# Checks judge with a fixed environment: the candidate's shell profile never applies, and
# nothing they add under /usr/local can stand in for a system tool testinfra looks up.
ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "HOME": "/root"}
# Tools a command runs: every absolute path in a `bin`/`sbin` folder outside /usr/local (lab
# territory: setup installs there), and every bare word as it would be found on PATH
# (testinfra's modules call `cat`, `stat`, `id`, `ps` by name).
BARE_WORD = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*$")

# What the grader's own commands run through: a sandbox where one of these changed could
# answer any check falsely.
TRUSTED_PATHS = {
    "/bin/sh", "/usr/bin/sh", "/bin/dash", "/usr/bin/dash", "/etc/ld.so.preload", "/etc/ld.so.cache",
    "/etc/ld.so.conf", "/lib64/ld-linux-x86-64.so.2", "/usr/lib64/ld-linux-x86-64.so.2",
    "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "/usr/lib/x86_64-linux-gnu/libc.so.6",
}
# The merged-/usr links (a folder or another link in their place reroutes every tool) and the
# shared libraries every tool loads.
TRUSTED_PATHS |= {"/bin", "/sbin", "/lib", "/lib64"}
TRUSTED_PREFIXES = ("/etc/ld.so.conf.d/", "/usr/lib/x86_64-linux-gnu/")


def tampered(target: HostTarget) -> list[str]:
    """The trusted paths changed since the image on this host."""
    paths = sorted(TRUSTED_PATHS) + [p.rstrip("/") for p in TRUSTED_PREFIXES]
    return [p for p in paths if target.is_changed(p)]


def forged_tools(target: HostTarget, cmd: str) -> list[str]:
    """Tools `cmd` would run that changed since the image (microseconds each on overlay2)."""
    try:
        words = list(shlex.shlex(cmd, posix=True, punctuation_chars=True))
    except ValueError:  # unbalanced quotes: the shell will refuse it anyway
        return []
    forged = []
    for w in dict.fromkeys(words):
        if any(len(part.encode()) > 255 for part in w.split("/")):
            continue  # no file has such a name (a long argument, e.g. base64): nothing could run it
        if w.startswith("/") and not w.startswith("/usr/local/") and {"bin", "sbin"} & set(Path(w).parent.parts):
            candidates = [w]
        elif BARE_WORD.match(w):
            candidates = [f"{d}/{w}" for d in ENV["PATH"].split(":")]
        else:
            continue
        # /bin is a link to /usr/bin on a merged-/usr system: a tool replaced under either
        # name is written under /usr in the container's layer.
        candidates += ["/usr" + c for c in candidates if not c.startswith("/usr/")]
        forged += [w] if any(target.is_changed(c, fresh=False) for c in candidates) else []
    return forged
