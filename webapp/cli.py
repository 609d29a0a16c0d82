"""`opslab` command line: labs, sessions, images and sandboxes.

Every command is a thin wrapper over a plain function (webapp.engine, grader, infra).
Errors print `error: ...` with what to do next and exit 1; `-v` shows tracebacks.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import wraps
from pathlib import Path

import click

from grader.errors import LabError, LabNotFound
from grader.lab import find_lab, lab_ids, labs_root, load_lab
from grader.lab import lab_ids as all_lab_ids
from grader.runner import GradingError
from infra.errors import InfraError

KNOWN_ERRORS = (LabError, LabNotFound, InfraError, GradingError)


def err(msg: str) -> None:
    click.echo(msg, err=True)


def table(rows: list[list[str]], headers: list[str]) -> str:
    """A plain aligned text table (no colour: pipes and CI logs read it too)."""
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=True)]
    line = lambda r: "  ".join(str(x).ljust(w) for x, w in zip(r, widths, strict=True)).rstrip()  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def handle_errors(fn):
    @wraps(fn)
    def wrapper(*args, **kwargs):
        ctx = click.get_current_context()
        try:
            return fn(*args, **kwargs)
        except KNOWN_ERRORS as e:
            if ctx.find_root().params.get("verbose"):
                raise
            err(f"error: {e}")
            sys.exit(1)

    return wrapper


def provider():
    from infra.providers import get_provider

    return get_provider(os.environ.get("OPSLAB_PROVIDER", "docker"))


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks on errors.")
def main(verbose: bool) -> None:
    """opslab: hands-on infrastructure labs in throwaway sandboxes, graded task by task."""


# -- labs -------------------------------------------------------------------------------------

@main.group()
def lab() -> None:
    """Browse, validate and start labs (the catalogue is labs/, or $OPSLAB_LABS)."""


@lab.command("list")
@handle_errors
def lab_list() -> None:
    """List the catalogue; a malformed lab shows its first problem."""
    rows = []
    for lab_id in lab_ids():
        try:
            lb = load_lab(labs_root() / lab_id)
            s = lb.spec
            rows.append([s.id, s.difficulty, s.duration, str(lb.max_score), ",".join(s.skills), s.title])
        except LabError as e:
            rows.append([lab_id, "INVALID", "", "", "", str(e).splitlines()[0]])
    click.echo(table(rows, ["ID", "LEVEL", "TIME", "POINTS", "SKILLS", "TITLE"]) if rows else "no labs found")


@lab.command("show")
@click.argument("lab_id")
@handle_errors
def lab_show(lab_id: str) -> None:
    """Show a lab's metadata, hosts, tasks and cheats."""
    lb = find_lab(lab_id)
    s = lb.spec
    click.echo(f"{s.id}  ({lb.version})\n{s.title}\n{s.summary}\n")
    click.echo(f"skills: {', '.join(s.skills)}   difficulty: {s.difficulty}   duration: {s.duration}")
    for h in lb.hosts:
        r = h.resources
        click.echo(f"host {h.name}: {h.image or 'build ' + h.build}  cpus={r.cpus} memory={r.memory} pids={r.pids}")
    click.echo("")
    rows = [[t.id, str(t.points), str(len(lb.checks[t.id])), str(len(t.hints)), t.title] for t in s.tasks]
    click.echo(table(rows, ["TASK", "POINTS", "CHECKS", "HINTS", "TITLE"]))
    if lb.cheats:
        click.echo("\ncheats: " + ", ".join(f"{c.name} (targets {', '.join(c.targets)})" for c in lb.cheats))


@lab.command("validate")
@click.argument("lab_ids", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("-j", "--jobs", default=2, show_default=True, help="Labs validated in parallel.")
@handle_errors
def lab_validate(lab_ids: tuple[str, ...], as_json: bool, jobs: int) -> None:
    """Prove labs: setup scores 0, solution full marks, every cheat misses (all labs by default)."""
    from grader.selftest import Step, Validation, validate
    from webapp.engine import lab_sandbox, run_script

    ids = list(lab_ids) or all_lab_ids()
    prov = provider()
    results: list[Validation] = []

    def one(lab_id: str) -> Validation:
        try:
            lb = find_lab(lab_id)
        except (LabError, LabNotFound) as e:
            v = Validation(lab_id, "-")
            v.steps.append(Step("load", "valid lab folder", False, 0, 0, 0.0, str(e)))
            return v
        return validate(lb, lambda x: lab_sandbox(prov, x), run_script, progress=err)

    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        results = list(pool.map(one, ids))
    elapsed = time.monotonic() - t0
    if as_json:
        click.echo(json.dumps({"ok": all(v.ok for v in results), "seconds": round(elapsed, 2),
                               "labs": [v.to_dict() for v in results]}, indent=2))
    else:
        rows = []
        for v in results:
            for s in v.steps:
                rows.append([v.lab, s.name, s.expect, f"{s.score}/{s.max_score}", "ok" if s.ok else "FAIL",
                             f"{s.seconds:.1f}s"])
        click.echo(table(rows, ["LAB", "STEP", "EXPECT", "SCORE", "RESULT", "TIME"]))
        for v in results:
            for s in v.steps:
                if not s.ok:
                    click.echo(f"\n{v.lab} {s.name}: {s.problem}")
        passed = sum(v.ok for v in results)
        click.echo(f"\n{passed} of {len(results)} labs valid in {elapsed:.1f}s")
    if not all(v.ok for v in results):
        sys.exit(1)


@lab.command("start")
@click.argument("lab_id")
@click.option("--ttl", type=int, help="Seconds before the reaper removes the sandbox "
              "(default: the lab's duration + 15 min).")
@handle_errors
def lab_start(lab_id: str, ttl: int | None) -> None:
    """Start a lab in a fresh sandbox and print its session id."""
    from webapp.engine import start_lab

    lb = find_lab(lab_id)
    t0 = time.monotonic()
    sandbox = start_lab(provider(), lb, ttl=ttl, progress=lambda m: err(f"… {m}"))
    err(f"ready in {time.monotonic() - t0:.1f}s — `opslab shell {sandbox.session}` to get a shell, "
        f"`opslab check {sandbox.session}` to grade")
    click.echo(sandbox.session)


# -- sessions ---------------------------------------------------------------------------------

@main.command()
@click.argument("session")
@click.argument("host", required=False)
@handle_errors
def shell(session: str, host: str | None) -> None:
    """Open a root shell on a session's host (the first host by default)."""
    sb = provider().get(session)
    name = sb.container_name(host or sb.hosts[0])
    docker = shutil.which("docker")
    if not docker:
        raise InfraError("the docker command line is needed for `opslab shell`; install docker.io")
    tty = ["-it"] if sys.stdin.isatty() else ["-i"]
    os.execvp(docker, [docker, "exec", *tty, "-w", "/root", name, "/bin/bash", "-l"])


@main.command()
@click.argument("session")
@click.option("--json", "as_json", is_flag=True, help="Print the candidate's view as JSON.")
@handle_errors
def check(session: str, as_json: bool) -> None:
    """Grade a session now: a table of tasks, points and feedback."""
    from webapp.engine import grade_session

    report = grade_session(provider().get(session))
    view = report.candidate_view()
    if as_json:
        click.echo(json.dumps(view, indent=2))
        return
    rows = [["PASS" if t["passed"] else "todo", f"{t['earned']}/{t['points']}", t["id"],
             t["feedback"] or t["title"]] for t in view["tasks"]]
    click.echo(table(rows, ["STATUS", "POINTS", "TASK", "DETAIL"]))
    click.echo(f"\nscore {view['score']}/{view['max_score']}")
    if view["error"]:
        err(f"error: {view['error']}")
        sys.exit(1)


@main.command()
@click.argument("session")
@handle_errors
def stop(session: str) -> None:
    """Stop a session and remove its sandbox."""
    provider().get(session).destroy()
    err(f"stopped {session}")


# -- images and sandboxes ---------------------------------------------------------------------

@main.group()
def images() -> None:
    """Build the sandbox images."""


@images.command("build")
@click.argument("names", nargs=-1)
@click.option("--force", is_flag=True, help="Rebuild even when nothing changed.")
@click.option("--pull", is_flag=True, help="Try to pull debian:bookworm-slim for the base image.")
@handle_errors
def images_build(names: tuple[str, ...], force: bool, pull: bool) -> None:
    """Build opslab/base and infra/images/* (only what changed)."""
    from infra import images as img

    prov = provider()
    names_ = [n if n.startswith("opslab/") else f"opslab/{n}" for n in names] or None
    t0 = time.monotonic()
    results = img.build_all(prov.client, lambda m: err(m), names=names_, force=force, pull=pull)
    for lb_id in lab_ids() if not names else []:  # labs with their own `build:` folder
        try:
            lb = load_lab(labs_root() / lb_id)
        except LabError:
            continue
        for h in lb.hosts:
            if h.build:
                results.append(img.build_image(prov.client, f"opslab/lab-{lb.id}-{h.name}", err, force,
                                               folder=lb.path / h.build))
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
    rows = [[i.session, i.lab, ",".join(i.hosts), "running" if i.running else "degraded",
             f"{int(i.expires - now)}s" if i.expires > now else "expired"] for i in provider().list()]
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
        err(f"error: cannot read the platform's database ({url.split('@')[-1]}: {str(e).splitlines()[0]}) to see "
            "which sandboxes still owe a final grade; fix OPSLAB_DATABASE_URL (or run `opslab db upgrade`), or "
            "pass --engine-only to decide by the engine's labels alone")
        sys.exit(1)


@sandbox.command("reap")
@click.option("--engine-only", is_flag=True, help="Do not ask the web platform's database what it still needs.")
@handle_errors
def sandbox_reap(engine_only: bool) -> None:
    """Remove expired and orphaned sandboxes, and any that filled its disk (sandboxes the web
    platform's database still needs for a final grade stay)."""
    from infra.watchdog import enforce_disk_limit

    prov = provider()
    removed = prov.reap(keep=frozenset() if engine_only else _platform_keeps())
    over = enforce_disk_limit(prov)
    for s in removed:
        err(f"removed {s} (expired or orphaned)")
    for s, used in over.items():
        err(f"removed {s} (wrote {used >> 20} MiB, over the disk limit {prov.disk_limit})")
    err(f"{len(removed) + len(over)} sandboxes removed")


# -- web platform -----------------------------------------------------------------------------

@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--workers", default=8, show_default=True,
              help="Threads for sandbox starts and expiry (sessions queue).")
@click.option("--graders", default=4, show_default=True,
              help="Threads for Checks (grade queue; final grades have 2 of their own).")
def platform(host: str, port: int, workers: int, graders: int) -> None:
    """Run everything: Redis, migrations, web server, Celery workers and beat (Ctrl-C stops)."""
    from webapp.launcher import run_platform

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


@main.group()
def user() -> None:
    """Accounts of the web platform."""


@user.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["candidate", "reviewer", "instructor", "admin"]), default="candidate",
              show_default=True)
@click.option("--password", envvar="OPSLAB_PASSWORD", help="Default: prompt (or $OPSLAB_PASSWORD).")
def user_create(email: str, role: str, password: str | None) -> None:
    """Create a user who can log in."""
    from webapp import create_app
    from webapp.auth import create_user
    from webapp.db import session_scope
    from webapp.models import Role

    password = password or click.prompt("password", hide_input=True, confirmation_prompt=True)
    app = create_app()
    with session_scope(app) as s:
        try:
            create_user(s, email, password, Role(role))
        except ValueError as e:
            err(f"error: {e}")
            sys.exit(1)
    err(f"created {role} {email.strip().lower()}")


@contextmanager
def existing_user(email: str):
    """(session, user) for an account that must exist; exits with the next step otherwise."""
    from sqlalchemy import select

    from webapp import create_app
    from webapp.db import session_scope
    from webapp.models import User

    with session_scope(create_app()) as s:
        u = s.scalar(select(User).where(User.email == email.strip().lower()))
        if u is None:
            err(f"error: no user {email}; create one with `opslab user create {email}`")
            sys.exit(1)
        yield s, u


@user.command("password")
@click.argument("email")
@click.option("--password", envvar="OPSLAB_PASSWORD", help="Default: prompt (or $OPSLAB_PASSWORD).")
def user_password(email: str, password: str | None) -> None:
    """Set a new password for a user (e.g. the first admin's, if it was lost)."""
    from webapp.auth import MIN_PASSWORD, hash_password

    password = password or click.prompt("new password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD:
        err(f"error: the password must have at least {MIN_PASSWORD} characters")
        sys.exit(1)
    with existing_user(email) as (s, u):
        u.password_hash = hash_password(password)
        s.commit()
    err(f"password of {u.email} changed")


@user.command("token")
@click.argument("email")
def user_token(email: str) -> None:
    """Issue an API token for a user (replaces the previous one); printed once."""
    from webapp.auth import issue_api_token

    with existing_user(email) as (s, u):
        click.echo(issue_api_token(s, u))


if __name__ == "__main__":
    main()
