"""Saved practice work on the real engine: what changed since the image (added, changed,
deleted; owners and modes) is saved at the end of a session and put back in a new sandbox of
the same lab after its setup; volatile paths are not saved; the size limit holds."""

from __future__ import annotations

import json

import pytest

from grader.loader import load_lab
from opslab import engine
from opslab.saved_work import WorkTooLarge, save_work

WORK = r"""
set -e
mkdir -p /root/work/deep && echo "notes" > /root/work/deep/notes.txt
echo "candidate edit" > /srv/greeting.txt && chmod 600 /srv/greeting.txt
useradd -M -u 1234 alice 2>/dev/null || true
echo x > /srv/alices && chown 1234:1234 /srv/alices && chmod 640 /srv/alices
ln -s /srv/greeting.txt /root/link
rm -f /etc/issue.net
echo volatile > /tmp/scratch
"""


@pytest.fixture
def lab(greeting_lab_dir, provider):
    return load_lab(greeting_lab_dir)


def _sh(sandbox, cmd: str) -> str:
    result = sandbox.exec("box", ["/bin/bash", "-c", cmd])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_work_saved_and_put_back_after_setup(lab, tmp_path, sandboxes):
    first = engine.start_lab(lab, ttl=600)
    sandboxes.append(first)
    _sh(first, WORK)
    hosts = save_work(first, lab, tmp_path / "saved")
    manifest = json.loads((tmp_path / "saved" / "manifest.json").read_text())
    assert [h["name"] for h in manifest["hosts"]] == ["box"] and hosts[0].size > 0
    assert "/etc/issue.net" in hosts[0].deleted
    assert hosts[0].size < 100_000  # what the candidate made, not the engine's own files (its init binary)
    assert (tmp_path / "saved").stat().st_mode & 0o777 == 0o700
    first.destroy()

    second = engine.start_lab(lab, ttl=600, restore=tmp_path / "saved")
    sandboxes.append(second)
    assert _sh(second, "cat /root/work/deep/notes.txt") == "notes\n"          # added
    assert _sh(second, "cat /srv/greeting.txt") == "candidate edit\n"         # changed after setup wrote it
    assert _sh(second, "stat -c '%a %u:%g' /srv/greeting.txt /srv/alices") == "600 0:0\n640 1234:1234\n"
    assert _sh(second, "readlink /root/link") == "/srv/greeting.txt\n"
    assert _sh(second, "test ! -e /etc/issue.net && echo gone") == "gone\n"   # deleted stays deleted
    assert _sh(second, "test ! -e /tmp/scratch && echo skipped") == "skipped\n"
    assert _sh(second, "id -u alice") == "1234\n"                             # /etc/passwd came back too


def test_over_the_limit_saves_nothing(lab, tmp_path, sandboxes):
    sandbox = engine.start_lab(lab, ttl=600)
    sandboxes.append(sandbox)
    _sh(sandbox, "head -c 3000000 /dev/urandom > /root/big")
    with pytest.raises(WorkTooLarge, match="more than 2 MiB"):
        save_work(sandbox, lab, tmp_path / "saved", max_bytes=2 << 20)
    assert not (tmp_path / "saved").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".saved")] == []
