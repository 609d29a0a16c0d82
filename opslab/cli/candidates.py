"""For candidates at a terminal: `opslab lab start`, `shell`, `check`, `stop`."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import click

from opslab import engine
from opslab.cli.app import err, fail, handle_errors, lab, main, table
from opslab.saved_work import read_manifest


@lab.command("start")
@click.argument("lab_id")
@click.option("--ttl", type=int, help="Seconds before the reaper removes the sandbox "
              "(default: the lab's duration + 15 min).")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Set one of the lab's parameters (lab show lists them) instead of drawing it; repeatable.")
@click.option("--restore", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Put back the work saved by `opslab stop SESSION --save DIR` after setup (and its parameters).")
@handle_errors
def lab_start(lab_id: str, ttl: int | None, params: tuple[str, ...], restore: Path | None) -> None:
    """Start a lab in a fresh sandbox and print its session id."""
    lb = engine.find_lab(lab_id)
    given = {}
    if restore is not None:
        manifest = read_manifest(restore)
        if manifest.get("lab") != lb.id:
            fail(f"{restore} holds work saved from lab {manifest.get('lab')}, not {lb.id}")
        if manifest.get("lab_version") != lb.version:
            err(f"warning: the work was saved on version {manifest.get('lab_version')} of {lb.id}, "
                f"which is now {lb.version}; putting it back anyway")
        given = dict(manifest.get("params") or {})
    for item in params:
        name, sep, value = item.partition("=")
        if not sep:
            fail(f"--param {item!r}: expected NAME=VALUE, e.g. --param port=8080")
        given[name] = value
    warning = engine.disk_cap_warning()
    if warning:
        err(warning)
        engine.ensure_disk_watchdog()
    t0 = time.monotonic()
    sandbox = engine.start_lab(lb, ttl=ttl, progress=lambda m: err(f"… {m}"), params=given, restore=restore)
    err(f"ready in {time.monotonic() - t0:.1f}s — `opslab shell {sandbox.session}` to get a shell, "
        f"`opslab check {sandbox.session}` to grade")
    click.echo(sandbox.session)


@main.command()
@click.argument("session")
@click.argument("host", required=False)
@handle_errors
def shell(session: str, host: str | None) -> None:
    """Open a root shell on a session's host (the first host by default)."""
    argv = engine.shell_command(session, host, interactive=sys.stdin.isatty())
    exe = shutil.which(argv[0])
    if not exe:
        fail(f"`opslab shell` needs the {argv[0]} command line on this machine; install it (e.g. docker.io)")
    os.execvp(exe, argv)


@main.command()
@click.argument("session")
@click.option("--json", "as_json", is_flag=True, help="Print the candidate's view as JSON.")
@handle_errors
def check(session: str, as_json: bool) -> None:
    """Grade a session now: a table of tasks, points and feedback."""
    view = engine.grade_session(session).candidate_view()
    if as_json:
        click.echo(json.dumps(view, indent=2))
        return
    rows = [["PASS" if t["passed"] else "todo", f"{t['earned']}/{t['points']}", t["id"],
             t["feedback"] or t["title"]] for t in view["tasks"]]
    click.echo(table(rows, ["STATUS", "POINTS", "TASK", "DETAIL"]))
    click.echo(f"\nscore {view['score']}/{view['max_score']}")
    if view["error"]:
        fail(view["error"])


@main.command()
@click.argument("session")
@click.option("--save", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="First save what changed on the shell hosts into DIR (`lab start ID --restore DIR` puts it back).")
@handle_errors
def stop(session: str, save: Path | None) -> None:
    """Stop a session and remove its sandbox."""
    if save is not None:
        hosts = engine.save_session_work(session, save.resolve())
        err(f"saved {sum(h.paths for h in hosts)} paths ({sum(h.size for h in hosts) / 1048576:.1f} MiB) "
            f"and {sum(len(h.deleted) for h in hosts)} deletions in {save}")
    engine.get_sandbox(session).destroy()
    err(f"stopped {session}")
