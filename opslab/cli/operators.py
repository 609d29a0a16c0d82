"""For operators: `opslab images build`, `sandbox list|reap`, `platform`, `db upgrade`."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import click

from opslab import engine
from opslab.cli.app import err, fail, handle_errors, main, table


@main.group()
def images() -> None:
    """Build the sandbox images."""


@images.command("build")
@click.argument("names", nargs=-1)
@click.option("--force", is_flag=True, help="Rebuild even when nothing changed.")
@click.option("--pull", is_flag=True, help="Try to pull debian:bookworm-slim for the base image.")
@handle_errors
def images_build(names: tuple[str, ...], force: bool, pull: bool) -> None:
    """Build opslab/base and infra/images/* (only what changed); with no names, labs' own images too."""
    t0 = time.monotonic()
    wanted = [n if n.startswith("opslab/") else f"opslab/{n}" for n in names] or None
    results = engine.build_images(wanted, force=force, pull=pull, progress=err)
    built = [r for r in results if r.built]
    err(f"{len(built)} built, {len(results) - len(built)} up to date in {time.monotonic() - t0:.0f}s")


@main.group()
def sandbox() -> None:
    """List and clean up sandboxes."""


@sandbox.command("list")
@handle_errors
def sandbox_list() -> None:
    """Every sandbox with its lab, hosts and time left."""
    now = time.time()
    rows = [[i.session, i.lab, ",".join(i.hosts), "running" if i.running else
             "degraded: " + ", ".join(f"{h} {why}" for h, why in i.down),
             f"{int(i.expires - now)}s" if i.expires > now else "expired"] for i in engine.list_sandboxes()]
    click.echo(table(rows, ["SESSION", "LAB", "HOSTS", "STATE", "EXPIRES IN"]) if rows else "no sandboxes")


def _platform_keeps() -> frozenset[str]:
    """The sessions the web platform still needs. No platform database here: none. One that
    is configured but cannot be read: stop, rather than remove what may still be owed a grade."""
    from sqlalchemy.exc import SQLAlchemyError

    from webapp import create_app, services
    from webapp.config import database_url
    from webapp.db import session_scope

    url = database_url()
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return frozenset()  # no platform here: do not create a database just to ask it
    try:
        app = create_app()
        with session_scope(app) as s:
            return services.sandboxes_to_keep(s)
    except SQLAlchemyError as e:
        fail(f"cannot read the platform's database ({url.split('@')[-1]}: {str(e).splitlines()[0]}) to see "
             "which sandboxes still owe a final grade; fix OPSLAB_DATABASE_URL (or run `opslab db upgrade`), or "
             "pass --engine-only to decide by the engine's labels alone")


@sandbox.command("reap")
@click.option("--engine-only", is_flag=True, help="Do not ask the web platform's database what it still needs.")
@handle_errors
def sandbox_reap(engine_only: bool) -> None:
    """Remove expired and orphaned sandboxes, and any that filled its disk (sandboxes the web
    platform's database still needs for a final grade stay)."""
    swept = engine.sweep(keep=frozenset() if engine_only else _platform_keeps())
    for s in swept.removed:
        err(f"removed {s} (expired or orphaned)")
    for s, reason in swept.over_disk.items():
        err(f"removed {s} (filled its disk: {reason})")
    err(f"{len(swept.removed) + len(swept.over_disk)} sandboxes removed")


@sandbox.command("watch")
@click.option("--until-idle", type=float, help="Exit after this many seconds with no sandbox (default: run until stopped).")
@handle_errors
def sandbox_watch(until_idle: float | None) -> None:
    """Run the disk watchdog: end any sandbox over its disk limits, every second (only where the
    engine cannot cap disks; `lab start` and `platform` start it themselves)."""

    engine.watch_disks(threading.Event(), idle_exit=until_idle, log=err)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--workers", default=8, show_default=True,
              help="Threads for sandbox starts and expiry (sessions queue).")
@click.option("--graders", default=4, show_default=True,
              help="Threads for Checks (grade queue; final grades have 2 of their own).")
@handle_errors
def platform(host: str, port: int, workers: int, graders: int) -> None:
    """Run everything: Redis, migrations, web server, Celery workers and beat (Ctrl-C stops)."""
    from webapp.launcher import run_platform


    engine.provider()  # an unknown OPSLAB_PROVIDER or an unreachable engine: say so before starting
    warning = engine.disk_cap_warning()
    if warning:
        err(warning)
        # the watchdog runs beside the platform's processes and stops with them
        threading.Thread(target=engine.watch_disks, args=(threading.Event(),), kwargs={"log": err},
                         name="disk-watchdog", daemon=True).start()
    sys.exit(run_platform(host, port, workers, graders))


@main.group()
def db() -> None:
    """The platform's database (OPSLAB_DATABASE_URL, SQLite under var/ by default)."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply the schema migrations."""
    from webapp.config import database_url
    from webapp.migrate import upgrade

    url = database_url()
    upgrade(url)
    err(f"database at {url.split('@')[-1]} is up to date")
