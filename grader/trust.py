"""What the grader refuses to run through: tools, loader, NSS/PAM and tool configs changed since the image.

A candidate is root in the sandbox and could replace any program a check runs, or anything
such a program loads or reads before it does its job. Three guards, each asking the
target's engine what changed (grader.target.HostTarget.is_changed / changed_paths):
- `tampered`: what every command goes through — the shell, the dynamic loader and every
  folder it searches, NSS and PAM (config and modules), the environment PAM hands out; a
  host where one changed is not graded at all (grader.plugin).
- `forged_tools`: the tools one command names; a check whose command would run a changed
  tool fails saying so (grader.backend).
- `forged_tool_configs`: the per-user and system config files of the tools one command
  names (~/.curlrc, /etc/wgetrc, ~/.psqlrc); a check whose command would read one that
  changed fails saying so (grader.backend). Tools find some of them through the password
  database whatever the environment says (curl falls back to getpwuid's home), so a clean
  environment alone is not enough.
Commands themselves run with `ENV`: nothing inherited, HOME and the XDG/tool homes point at
a folder that cannot exist (procfs refuses to create it, even for root).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from pathlib import Path

from grader.target import HostTarget

# A home no one can create: procfs has no mkdir, whatever the caller's privileges.
NO_HOME = "/proc/opslab-no-home"
# Checks judge with a fixed environment: the candidate's shell profile never applies, nothing
# they add under /usr/local can stand in for a system tool testinfra looks up, and no tool
# finds a config file through HOME or XDG folders.
ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": NO_HOME,
       "XDG_CONFIG_HOME": NO_HOME, "CURL_HOME": NO_HOME, "WGETRC": "/dev/null", "PSQLRC": "/dev/null",
       "INPUTRC": "/dev/null", "PYTHONNOUSERSITE": "1", "TZ": "UTC",
       # every program linked with OpenSSL 3 (curl, wget, nginx, psql) reads /etc/ssl/openssl.cnf
       # when it starts, and a `providers` section there loads a shared object from any path
       "OPENSSL_CONF": "/dev/null"}
# Tools a command runs: every absolute path in a `bin`/`sbin` folder outside /usr/local (lab
# territory: setup installs there), and every bare word as it would be found on PATH
# (testinfra's modules call `cat`, `stat`, `id`, `ps` by name).
BARE_WORD = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*$")

# Single files every command (or a PAM session a check opens with runuser/su) goes through.
TRUSTED_FILES = (
    "/bin/sh", "/usr/bin/sh", "/bin/dash", "/usr/bin/dash",
    # the loader: preloads, its cache and config
    "/etc/ld.so.preload", "/etc/ld.so.cache", "/etc/ld.so.conf",
    # NSS: which modules getpwnam/getaddrinfo load (the modules live in the library folders)
    "/etc/nsswitch.conf",
    # PAM: the stacks and the environment pam_env hands to a session (LD_PRELOAD=… there
    # would reach every runuser/su a check opens)
    "/etc/pam.conf", "/etc/environment", "/etc/default/locale",
    # merged-/usr links: a folder or another link in their place reroutes every tool
    "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32",
)
# Folders where a change anywhere below counts: every folder the loader searches by default
# (with its glibc-hwcaps subfolders), where NSS and PAM modules and interpreter modules live
# (Python's under /usr/lib and /usr/local/lib; Perl's @INC, which tools such as Debian's
# pg_wrapper load), the loader's config snippets, and PAM's stacks and config.
TRUSTED_TREES = (
    "/usr/lib", "/usr/lib64", "/usr/lib32", "/usr/libx32", "/usr/local/lib",
    "/usr/share/perl5", "/usr/share/perl", "/usr/local/share/perl", "/etc/perl",
    "/etc/ld.so.conf.d", "/etc/pam.d", "/etc/security",
)
# ...but for pam_limits' resource limits, which labs manage (the Ansible lab's playbook writes
# /etc/security/limits.d/appsvc.conf): a limit can make a check's PAM session fail, never
# answer for it.
UNTRUSTED_BELOW = ("/etc/security/limits.conf", "/etc/security/limits.d")

# Config files a judging tool reads on its own, by file name, wherever they are (a home
# folder moved in /etc/passwd moves them too).
TOOL_CONFIGS = {
    "curl": (".curlrc",),
    "wget": (".wgetrc", "wgetrc"),
    "psql": (".psqlrc", "psqlrc"),
}


def _below(path: str, root: str) -> bool:
    return path == root or path.startswith(root + "/")


def tampered(target: HostTarget) -> list[str]:
    """The trusted paths changed since the image on this host.

    Single files cost microseconds each on overlay2. A tree is looked into only when its
    folder is in the container's layer at all; then each changed entry below it counts,
    except folders that are only there because something below them was written (a file
    written and put back byte for byte is not a change)."""
    bad = [p for p in TRUSTED_FILES if target.is_changed(p)]
    roots = [t for t in TRUSTED_TREES if target.is_changed(t)]
    if roots:
        listed = [p for p in target.changed_paths() if any(_below(p, r) for r in roots)]
        parents = {str(Path(p).parent) for p in listed}
        bad += [p for p in listed if p not in parents and not any(_below(p, u) for u in UNTRUSTED_BELOW)
                and target.is_changed(p)]
    return bad


def _tools(cmd: str) -> list[tuple[str, list[str]]]:
    """(word, the paths it would run) for each tool `cmd` names."""
    try:
        words = list(shlex.shlex(cmd, posix=True, punctuation_chars=True))
    except ValueError:  # unbalanced quotes: the shell will refuse it anyway
        return []
    found = []
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
        found.append((w, candidates + ["/usr" + c for c in candidates if not c.startswith("/usr/")]))
    return found


def forged_tools(target: HostTarget, cmd: str) -> list[str]:
    """Tools `cmd` would run that changed since the image (microseconds each on overlay2),
    asked in one question: a command with a script in it names hundreds of words."""
    tools = _tools(cmd)
    changed = changed_among(target, list(dict.fromkeys(p for _, paths in tools for p in paths)))
    return [w for w, paths in tools if changed.intersection(paths)]


def changed_among(target: HostTarget, paths: list[str]) -> set[str]:
    """Which of `paths` changed since the image (as `is_changed(p, fresh=False)`): one round
    trip where the target offers `changed_among` (the broker's hosts do), else one per path."""
    batch = getattr(target, "changed_among", None)
    if batch is not None:
        return set(batch(paths)) if paths else set()
    return {p for p in paths if target.is_changed(p, fresh=False)}


def forged_tool_configs(target: HostTarget, cmd: str, changed: Callable[[], list[str]]) -> list[str]:
    """Config files of the tools `cmd` names that were added or changed since the image.
    `changed()` lists the host's changed paths (asked once per grading run, only when a
    command names such a tool)."""
    names = {n for w, _ in _tools(cmd) for n in TOOL_CONFIGS.get(Path(w).name, ())}
    if not names:
        return []
    return [p for p in changed() if _config_name(Path(p).name, names) and target.is_changed(p, fresh=False)]


def _config_name(name: str, names: set[str]) -> bool:
    return name in names or any(name.startswith(n + "-") for n in names)  # .psqlrc-15
