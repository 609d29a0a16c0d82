"""`opslab lab new ID`: a lab folder that `opslab lab validate` passes unchanged.

A small but complete lab to edit: a broken service config, a check per task with messages a
candidate can act on, a reference solution and two cheats the checks see through. Authors
replace the situation; the shape (and the habits) stay.
"""

from __future__ import annotations

import re
from pathlib import Path

from grader.errors import LabError
from grader.schema import SLUG

FILES: dict[str, str] = {
    "lab.yaml": """\
id: {id}
title: Give the status service its configuration back
summary: A deploy left the status service with a config that points at the wrong folder and a secret anyone can read.
skills: [linux]                  # from grader/skills.py
difficulty: beginner             # beginner | intermediate | advanced
duration: 15m
check_timeout: 10s
sandbox:
  hosts:
    - name: app
      image: opslab/base         # an image from infra/images/ (see labs/README.md, "Images")
      resources: {{cpus: 0.5, memory: 128m, pids: 128}}
tasks:
  - id: config-points-home
    title: /etc/status/status.conf points the service at /srv/status
    points: 2
    hints: ["The service reads `root=` from /etc/status/status.conf."]
  - id: secret-private
    title: The API token can be read only by root
    points: 1
    hints: ["`ls -l /etc/status` shows who may read what."]
""",
    "README.md": """\
# Give the status service its configuration back

A rushed deploy rewrote `/etc/status/status.conf`. The status service now looks for its
pages in the wrong place, and its API token is readable by every account on the host.

## The configuration points the service home

`root=` in `/etc/status/status.conf` must name `/srv/status`, where the pages are.

## The token is private

`/etc/status/token` must stay where it is and be readable by root only.
""",
    "setup.sh": """\
#!/usr/bin/env bash
# Breaks the host the way the README tells. Runs as root on every host, in /root.
set -euo pipefail
mkdir -p /etc/status /srv/status
cp "$OPSLAB_FILES/status.conf" /etc/status/status.conf
echo "<h1>all systems go</h1>" > /srv/status/index.html
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \\n' > /etc/status/token
chmod 644 /etc/status/token
""",
    "solution.sh": """\
#!/usr/bin/env bash
# The reference solution: `opslab lab validate` proves it earns full marks. Never shown.
set -euo pipefail
sed -i 's|^root=.*|root=/srv/status|' /etc/status/status.conf
chmod 600 /etc/status/token
""",
    "files/status.conf": """\
# status service
listen=127.0.0.1:8080
root=/srv/status-old
""",
    "checks/test_status.py": """\
\"\"\"One fact per test; the first line of each assertion message is what the candidate sees.\"\"\"

import pytest


@pytest.mark.task("config-points-home")
def test_config_names_the_pages_folder(copy_out):
    conf = copy_out("/etc/status/status.conf").read_text()  # read through the engine, judged here
    roots = [line.split("=", 1)[1].strip() for line in conf.splitlines() if line.startswith("root=")]
    assert roots == ["/srv/status"], "status.conf does not point the service at /srv/status yet"


@pytest.mark.task("config-points-home")
def test_pages_are_still_there(host):
    assert host.file("/srv/status/index.html").contains("all systems go"), "the status pages are gone from /srv/status"


@pytest.mark.task("secret-private")
def test_token_is_readable_by_root_only(host):
    token = host.file("/etc/status/token")
    assert token.exists and token.size > 0, "/etc/status/token is missing or empty"
    assert token.user == "root" and token.mode & 0o077 == 0, "/etc/status/token can be read by other accounts"
""",
    "cheats/delete-the-token.sh": """\
#!/usr/bin/env bash
# targets: secret-private
# Nobody can read a token that is gone: the service cannot either.
set -euo pipefail
rm -f /etc/status/token
""",
    "cheats/move-the-pages.sh": """\
#!/usr/bin/env bash
# targets: config-points-home
# Make the wrong folder right instead of fixing the config.
set -euo pipefail
sed -i 's|^root=.*|root=/srv/status|' /etc/status/status.conf
mv /srv/status /srv/status-old
""",
}


def new_lab(root: Path, lab_id: str) -> Path:
    """Write the scaffold into root/lab_id; refuse a bad id or a folder that exists."""
    if not re.match(SLUG, lab_id):
        raise LabError(lab_id, "not a lab id: lowercase letters, digits and dashes, 2-64 characters, "
                               "starting with a letter (e.g. nginx-broken-site)")
    dest = root / lab_id
    if dest.exists():
        raise LabError(str(dest), "already exists; pick another id or remove the folder")
    for rel, text in FILES.items():
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.format(id=lab_id) if rel == "lab.yaml" else text)
        if rel.endswith(".sh"):
            path.chmod(0o755)
    return dest
