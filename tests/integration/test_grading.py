"""Grading on the real engine: scores, feedback, timeouts, lab errors, the trust rule."""

from __future__ import annotations

import hashlib
import re
import time

import pytest

from grader.loader import load_lab
from grader.runner import grade
from grader.selftest import validate
from infra.errors import CommandFailed
from infra.providers.base import LABEL_SESSION
from opslab.engine import lab_sandbox, quiesce, run_script, start_lab


@pytest.fixture
def started(provider, sandboxes):
    def start(lab):
        sb = start_lab(lab)
        sandboxes.append(sb)
        return sb

    return start


def test_setup_scores_zero_and_solution_full_marks(greeting_lab_dir, started):
    lab = load_lab(greeting_lab_dir)
    sb = started(lab)
    before = grade(lab, sb.target())
    assert (before.score, before.lab_error) == (0, None)
    assert before.task("greeting-present").feedback == "/srv/greeting.txt does not say hello yet"
    run_script(sb, lab, lab.path / "solution.sh")
    after = grade(lab, sb.target())
    assert after.full_marks and after.score == 3
    assert after.lab_version == lab.version and after.grader_version


def test_scripts_and_files_do_not_stay_in_the_sandbox(greeting_lab_dir, started):
    lab = load_lab(greeting_lab_dir)
    sb = started(lab)
    assert sb.exec("box", ["sh", "-c", "ls -d /run/opslab-* 2>/dev/null | wc -l"]).stdout.strip() == "0"


def test_a_hanging_check_fails_with_a_message(greeting_lab_dir, started):
    (greeting_lab_dir / "checks" / "test_hang.py").write_text(
        'import pytest\n\n@pytest.mark.task("greeting-private")\n'
        'def test_waits_forever(host):\n    host.run("sleep 60")\n')
    text = (greeting_lab_dir / "lab.yaml").read_text().replace("check_timeout: 5s", "check_timeout: 2s")
    (greeting_lab_dir / "lab.yaml").write_text(text)
    lab = load_lab(greeting_lab_dir)
    sb = started(lab)
    run_script(sb, lab, lab.path / "solution.sh")
    t0 = time.monotonic()
    report = grade(lab, sb.target())
    assert time.monotonic() - t0 < 30  # stopped at the per-check timeout, not after 60 s
    task = report.task("greeting-private")
    assert not task.passed and task.feedback == "the check timed out: the system did not answer in time"
    assert report.task("greeting-present").passed


def test_a_check_that_does_not_import_is_a_lab_error(greeting_lab_dir, started):
    (greeting_lab_dir / "checks" / "test_broken.py").write_text(
        'import no_such_module\nimport pytest\n\n@pytest.mark.task("greeting-present")\ndef test_x(host):\n    pass\n')
    lab = load_lab(greeting_lab_dir)
    sb = started(lab)
    run_script(sb, lab, lab.path / "solution.sh")
    report = grade(lab, sb.target())
    assert report.lab_error and "no_such_module" in report.lab_error
    assert not report.full_marks
    view = report.candidate_view()
    assert view["error"] == "grading is unavailable for this lab right now"
    assert "no_such_module" not in repr(view)


def test_copy_out_reads_through_the_engine(greeting_lab_dir, started):
    (greeting_lab_dir / "checks" / "test_copy.py").write_text(
        'import pytest\n\n@pytest.mark.task("greeting-present")\n'
        'def test_copied_file_says_hello(copy_out, lab_dir):\n'
        '    assert lab_dir.name == "greeting-file"\n'
        '    local = copy_out("/srv/greeting.txt")\n'
        '    assert local.read_text().strip() == "hello", "copied file does not say hello"\n')
    lab = load_lab(greeting_lab_dir)
    sb = started(lab)
    # a forged `cat` inside the sandbox must not change what the grader reads
    sb.exec("box", ["sh", "-c", "printf '#!/bin/sh\\necho hello\\n' > /usr/local/bin/cat; chmod +x /usr/local/bin/cat"])
    report = grade(lab, sb.target())
    assert not report.task("greeting-present").passed
    run_script(sb, lab, lab.path / "solution.sh")
    assert grade(lab, sb.target()).task("greeting-present").passed


def test_failing_setup_leaves_nothing_behind(greeting_lab_dir, provider):
    (greeting_lab_dir / "setup.sh").write_text("#!/bin/bash\nset -euo pipefail\necho preparing\nfalse\n")
    lab = load_lab(greeting_lab_dir)
    with pytest.raises(CommandFailed) as e:
        start_lab(lab, session="failsetup01")
    assert "setup.sh failed on host 'box' (exit 1)" in str(e.value) and "preparing" in str(e.value)
    assert provider.client.containers.list(all=True, filters={"label": f"{LABEL_SESSION}=failsetup01"}) == []


def test_self_test_catches_a_cheat_the_checks_let_through(greeting_lab_dir, provider):
    (greeting_lab_dir / "cheats" / "only-content.sh").write_text(
        "#!/bin/bash\n# targets: greeting-present\necho hello > /srv/greeting.txt\n")
    lab = load_lab(greeting_lab_dir)
    result = validate(lab, lab_sandbox, run_script)
    steps = {s.name: s for s in result.steps}
    assert steps["setup"].ok and steps["solution"].ok and steps["cheat:world-readable"].ok
    assert not steps["cheat:only-content"].ok
    assert "the checks can be fooled" in steps["cheat:only-content"].problem
    assert not result.ok


def test_self_test_fails_a_lab_whose_solution_does_not_solve_it(greeting_lab_dir, provider):
    (greeting_lab_dir / "solution.sh").write_text("#!/bin/bash\necho hello > /srv/greeting.txt\n")
    lab = load_lab(greeting_lab_dir)
    result = validate(lab, lab_sandbox, run_script)
    solution = next(s for s in result.steps if s.name == "solution")
    assert not solution.ok and "greeting-private" in solution.problem


def test_copy_out_refuses_more_than_the_limit(greeting_lab_dir, started):
    from infra.archive import ArchiveTooLarge
    from infra.providers.docker_target import DockerHostTarget

    lab = load_lab(greeting_lab_dir)
    sb = started(lab)
    # a sparse file costs the candidate nothing on disk but streams its full size
    sb.exec("box", ["sh", "-c", "truncate -s 1G /root/sparse && mkdir -p /root/d && echo hi > /root/d/f"])
    backend = DockerHostTarget(sb.container_name("box"))
    dest = greeting_lab_dir.parent / "out"
    with pytest.raises(ArchiveTooLarge):
        backend.copy_out("/root/sparse", dest, limit=8 << 20)
    assert not (dest / "sparse").exists() or (dest / "sparse").stat().st_size <= 8 << 20
    assert (backend.copy_out("/root/d", dest) / "f").read_text() == "hi\n"


def test_snapshot_sees_what_changed_between_two_moments(greeting_lab_dir, started):
    from infra.archive import ArchiveTooLarge
    from infra.providers.docker_target import DockerHostTarget

    lab = load_lab(greeting_lab_dir)
    sb = started(lab)
    sb.exec("box", ["sh", "-c", "mkdir -p /root/w/sub && echo one > /root/w/a && echo two > /root/w/sub/b "
                                "&& ln -s a /root/w/link && touch -d @1700000000 /root/w/a /root/w"])
    backend = DockerHostTarget(sb.container_name("box"))
    before = backend.snapshot("/root/w")
    assert set(before) == {"/root/w", "/root/w/a", "/root/w/sub", "/root/w/sub/b", "/root/w/link"}
    kind, mode, uid, gid, size, mtime, digest = before["/root/w/a"]
    assert (kind, mode & 0o777, uid, size, mtime) == ("file", 0o644, 0, 4, 1700000000)
    assert digest == hashlib.sha256(b"one\n").hexdigest() and before["/root/w/link"][6] == "a"
    # same bytes rewritten (new mtime), a mode change, a new file: each one shows (the engine's
    # archive has whole-second times, hence the old times set above)
    sb.exec("box", ["sh", "-c", "echo one > /root/w/a && chmod 600 /root/w/sub/b && touch /root/w/new"])
    after = backend.snapshot("/root/w")
    assert sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p)) == [
        "/root/w", "/root/w/a", "/root/w/new", "/root/w/sub/b"]
    assert backend.snapshot("/root/nothing-here") == {}
    sb.exec("box", ["sh", "-c", "truncate -s 1G /root/w/sparse"])
    with pytest.raises(ArchiveTooLarge):
        backend.snapshot("/root/w", limit=8 << 20)


def test_a_replaced_shell_is_not_graded(greeting_lab_dir, started):
    lab = load_lab(greeting_lab_dir)
    sb = started(lab)
    run_script(sb, lab, lab.path / "solution.sh")
    assert grade(lab, sb.target()).full_marks
    # a wrapper shell that answers "hello" to everything would fool checks that trust it
    sb.exec("box", ["sh", "-c", "cp /usr/bin/dash /usr/bin/dash.real && printf '#!/usr/bin/dash.real\\n"
                    "echo hello\\n' > /tmp/fake && chmod +x /tmp/fake && mv /tmp/fake /usr/bin/dash"])
    report = grade(lab, sb.target())
    assert report.score == 0
    assert report.task("greeting-present").feedback.startswith("the grader cannot trust host box: /usr/bin/dash")


def test_a_forged_tool_fails_the_check_that_calls_it(greeting_lab_dir, started):
    (greeting_lab_dir / "checks" / "test_tool.py").write_text(
        'import pytest\n\n@pytest.mark.task("greeting-present")\n'
        'def test_greeting_read_with_cat(host):\n'
        '    out = host.run("/bin/cat %s", "/srv/greeting.txt").stdout\n'
        '    assert out.strip() == "hello", "cat does not read hello"\n\n'
        '@pytest.mark.task("greeting-private")\n'
        'def test_greeting_owner_by_name(host):\n'
        '    assert host.file("/srv/greeting.txt").user == "root", "not root\'s"\n')
    lab = load_lab(greeting_lab_dir)
    sb = started(lab)
    run_script(sb, lab, lab.path / "solution.sh")
    assert grade(lab, sb.target()).full_marks
    # a `cat` that always says hello: the check naming it refuses (and so does every check that
    # reads a file through testinfra, which uses cat too)
    sb.exec("box", ["sh", "-c", "cp -p /usr/bin/cat /root/cat.orig; printf 'bye\\n' > /srv/greeting.txt; "
                    "printf '#!/bin/sh\\necho hello\\n' > /usr/bin/cat"])
    report = grade(lab, sb.target())
    assert re.fullmatch(r"the grader cannot trust (/bin/)?cat on this host: it changed since the host was "
                        r"built; put back the original to be graded", report.task("greeting-present").feedback)
    # put back byte for byte, it is trusted again; a fake `stat` under /usr/local is never on the
    # grader's PATH, but one in /usr/sbin (first on it) is refused
    sb.exec("box", ["sh", "-c", "cp /root/cat.orig /usr/bin/cat; "
                    "printf '#!/bin/sh\\necho nobody\\n' > /usr/local/bin/stat; chmod +x /usr/local/bin/stat"])
    report = grade(lab, sb.target())
    assert report.task("greeting-present").feedback == "/srv/greeting.txt does not say hello yet"
    assert report.task("greeting-private").passed
    sb.exec("box", ["sh", "-c", "cp -p /usr/local/bin/stat /usr/sbin/stat"])
    report = grade(lab, sb.target())
    assert report.task("greeting-private").feedback.startswith("the grader cannot trust stat on this host")


def test_modified_tells_what_changed_since_the_image(greeting_lab_dir, started):
    (greeting_lab_dir / "checks" / "test_modified.py").write_text(
        'import pytest\n\n@pytest.mark.task("greeting-present")\n'
        'def test_tac_is_the_packaged_one(modified):\n'
        '    assert not modified("/usr/bin/tac"), "tac was replaced"\n')
    lab = load_lab(greeting_lab_dir)
    sb = started(lab)
    run_script(sb, lab, lab.path / "solution.sh")
    assert grade(lab, sb.target()).task("greeting-present").passed
    sb.exec("box", ["sh", "-c", "echo '#!/bin/sh' > /usr/bin/tac"])
    assert grade(lab, sb.target()).task("greeting-present").feedback == "tac was replaced"


def test_changed_paths_agree_with_the_engines_diff(greeting_lab_dir, started):
    from infra.providers.docker_target import DockerHostTarget

    sb = started(load_lab(greeting_lab_dir))
    sb.exec("box", ["sh", "-c", "echo x > /usr/bin/tac; rm /usr/bin/yes; chmod 700 /usr/bin/head; "
                    "mv /usr/lib/os-release /usr/lib/os-release.old; ln -s /etc /usr/lib/os-release"])
    backend = DockerHostTarget(sb.container_name("box"))
    assert backend._layers is not None  # the engine runs on this machine (overlay2 or btrfs): the fast path
    diff = backend._diff(fresh=True)
    for path in ("/usr/bin/tac", "/usr/bin/yes", "/usr/bin/head", "/usr/lib/os-release", "/usr/bin/cat",
                 "/usr/bin/dash", "/etc/hostname", "/srv/greeting.txt", "/nope/nothing"):
        assert backend.is_changed(path) == (path in diff), path


def test_scripts_run_from_a_private_stage(greeting_lab_dir, started):
    (greeting_lab_dir / "setup.sh").write_text(
        '#!/bin/bash\nset -euo pipefail\nstat -c %a "$(dirname "$0")" > /root/stage-mode\n'
        'cp "$OPSLAB_FILES/wrong.txt" /root/copied\n')
    sb = started(load_lab(greeting_lab_dir))
    assert sb.exec("box", ["cat", "/root/stage-mode"]).stdout.strip() == "700"
    assert sb.exec("box", ["cat", "/root/copied"]).stdout == "goodbye\n"


@pytest.mark.parametrize("change", [
    "cp /bin/true /usr/lib/libnss_forge.so.2 && echo 'passwd: forge files' >> /etc/nsswitch.conf",
    "mkdir -p /usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3 && cp /bin/true /usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libc.so.6",
    "echo LD_PRELOAD=/root/forge.so >> /etc/environment",
    "echo 'auth optional pam_exec.so /root/x' >> /etc/pam.d/common-auth",
])
def test_a_changed_loader_nss_or_pam_path_is_not_graded(greeting_lab_dir, started, change):
    lab = load_lab(greeting_lab_dir)
    sb = started(lab)
    run_script(sb, lab, lab.path / "solution.sh")
    sb.exec("box", ["sh", "-c", change])
    report = grade(lab, sb.target())
    assert report.score == 0
    assert report.task("greeting-present").feedback.startswith("the grader cannot trust host box: ")


def test_a_library_folder_touched_but_unchanged_is_still_graded(greeting_lab_dir, started):
    lab = load_lab(greeting_lab_dir)
    sb = started(lab)
    run_script(sb, lab, lab.path / "solution.sh")
    # copied up into the container's layer (mtime only): the same bytes, mode and owner
    sb.exec("box", ["sh", "-c", "touch /usr/lib/os-release /etc/nsswitch.conf"])
    assert grade(lab, sb.target()).full_marks


def test_the_final_grade_runs_with_nothing_of_the_candidates_running(greeting_lab_dir, started):
    yaml_text = (greeting_lab_dir / "lab.yaml").read_text().replace(
        "resources: {cpus: 0.5, memory: 64m, pids: 64}",
        'resources: {cpus: 0.5, memory: 64m, pids: 64}\n      services: ["setsid sleep 301 &"]')
    (greeting_lab_dir / "lab.yaml").write_text(yaml_text)
    lab = load_lab(greeting_lab_dir)
    sb = started(lab)
    sb.exec("box", ["sh", "-c", "setsid sh -c 'while :; do sleep 1; done' </dev/null >/dev/null 2>&1 &"])
    ps = "for d in /proc/[0-9]*; do tr '\\0' ' ' < $d/cmdline; echo; done"
    assert "while" in sb.exec("box", ["sh", "-c", ps]).stdout
    t0 = time.monotonic()
    assert quiesce(sb, lab) == {}
    assert time.monotonic() - t0 < 10
    left = sb.exec("box", ["sh", "-c", ps]).stdout
    assert "while" not in left and "sleep 301" in left and "sleep infinity" in left  # the container lives on
