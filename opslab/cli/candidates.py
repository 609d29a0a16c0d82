"""For candidates at a terminal: `opslab lab start`, `shell`, `check`, `stop`."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time

import click

from opslab import engine
from opslab.cli.app import err, fail, handle_errors, lab, main, table


@lab.command("start")
@click.argument("lab_id")
@click.option("--ttl", type=int, help="Seconds before the reaper removes the sandbox "
              "(default: the lab's duration + 15 min).")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Set one of the lab's parameters (lab show lists them) instead of drawing it; repeatable.")
@handle_errors
def lab_start(lab_id: str, ttl: int | None, params: tuple[str, ...]) -> None:
    """Start a lab in a fresh sandbox and print its session id."""
    lb = engine.find_lab(lab_id)
    given = {}
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
    sandbox = engine.start_lab(lb, ttl=ttl, progress=lambda m: err(f"… {m}"), params=given)
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
@handle_errors
def stop(session: str) -> None:
    """Stop a session and remove its sandbox."""
    engine.get_sandbox(session).destroy()
    err(f"stopped {session}")
