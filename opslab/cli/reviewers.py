"""For hiring teams: `opslab assessment create|edit|archive|list|invite|report` (timed assessments).

Thin wrappers over webapp.assessments, webapp.invites and webapp.reports; they act for a
team (`--team NAME`) as an operator on the platform's machine would.
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager

import click

from opslab.cli.app import fail, main, table


@contextmanager
def platform_db():
    from webapp import create_app
    from webapp.db import session_scope

    app = create_app()
    with app.app_context(), session_scope(app) as s:
        yield app, s


def refused(e) -> None:
    fail(str(e))


@main.group()
def assessment() -> None:
    """Timed assessments: labs under one time limit, single-use invite links, reports."""


@assessment.command("create")
@click.option("--team", required=True, help="The hiring team it belongs to.")
@click.option("--role-template", "role", help="lead-infrastructure-engineer or devops-team-lead: picks the labs.")
@click.option("--title", help="Default: the role's title.")
@click.option("--lab", "labs", multiple=True, metavar="ID[:WEIGHT]", help="A lab (repeat; replaces the template's).")
@click.option("--time", "time_limit", help="Total time limit, e.g. 90m or 2h (default: the labs' durations).")
@click.option("--mode", type=click.Choice(["exam", "practice"]))
@click.option("--invite-days", type=int, help="How long invite links stay valid (default 7).")
def assessment_create(team, role, title, labs, time_limit, mode, invite_days) -> None:
    """Create an assessment; prints its id."""
    from webapp import assessments
    from webapp.services import SessionError
    from webapp.teams import find_team

    with platform_db() as (_app, s):
        try:
            draft = assessments.template_draft(role) if role else {"title": "", "labs": [], "time_limit": 3600}
            draft.update(changes(title, labs, time_limit, mode, invite_days))
            a = assessments.create_assessment(s, find_team(s, team), draft)
        except (ValueError, SessionError) as e:
            refused(e)
        click.echo(a.id)


def changes(title, labs, time_limit, mode, invite_days) -> dict:
    """The fields given on the command line, as create_assessment and edit_assessment take them."""
    out = {key: value for key, value in (("title", title), ("time_limit", time_limit), ("mode", mode),
                                         ("invite_days", invite_days)) if value is not None}
    if labs:
        out["labs"] = [{"lab": x.split(":")[0], "weight": int(x.split(":")[1]) if ":" in x else 1} for x in labs]
    return out


def find_assessment(s, assessment_id: int):
    from webapp.models import Assessment

    a = s.get(Assessment, assessment_id)
    if a is None:
        fail(f"no assessment {assessment_id}; `opslab assessment list` shows them")
    return a


@assessment.command("edit")
@click.argument("assessment_id", type=int)
@click.option("--title")
@click.option("--lab", "labs", multiple=True, metavar="ID[:WEIGHT]", help="A lab (repeat; replaces all the labs).")
@click.option("--time", "time_limit", help="Total time limit, e.g. 90m or 2h.")
@click.option("--mode", type=click.Choice(["exam", "practice"]))
@click.option("--invite-days", type=int, help="How long new invite links stay valid.")
def assessment_edit(assessment_id, title, labs, time_limit, mode, invite_days) -> None:
    """Change an assessment; attempts already started keep what they started with."""
    from webapp import assessments
    from webapp.services import SessionError

    with platform_db() as (_app, s):
        a = find_assessment(s, assessment_id)
        try:
            body = changes(title, labs, time_limit, mode, invite_days)
            if not body:
                fail("nothing to change: give --title, --lab, --time, --mode or --invite-days")
            assessments.edit_assessment(s, a, body)
        except (ValueError, SessionError) as e:
            refused(e)
        started = sum(inv.used_at is not None for inv in a.invites)
    click.echo(f"assessment {assessment_id} saved" + (f"; {started} attempt(s) already started keep their terms"
                                                      if started else ""))


@assessment.command("archive")
@click.argument("assessment_id", type=int)
@click.option("--restore", is_flag=True, help="Open an archived assessment again.")
def assessment_archive(assessment_id, restore) -> None:
    """Archive an assessment: no new invites, its unused links say it is closed (reports stay)."""
    from webapp import assessments

    with platform_db() as (_app, s):
        changed = assessments.archive(s, find_assessment(s, assessment_id), not restore)
    state = "open" if restore else "archived"
    click.echo(f"assessment {assessment_id} {'is now' if changed else 'was already'} {state}")


@assessment.command("list")
@click.option("--team", help="Only this team's.")
@click.option("--archived", is_flag=True, help="The archived ones instead of the open ones.")
def assessment_list(team, archived) -> None:
    """Assessments with their labs, time and invites."""
    from sqlalchemy import select

    from webapp.models import Assessment
    from webapp.teams import find_team

    with platform_db() as (_app, s):
        q = select(Assessment).order_by(Assessment.id)
        q = q.where(Assessment.archived_at.is_not(None) if archived else Assessment.archived_at.is_(None))
        if team:
            try:
                q = q.where(Assessment.team_id == find_team(s, team).id)
            except ValueError as e:
                refused(e)
        rows = [[str(a.id), a.team.name, a.title, a.mode.value, f"{a.time_limit // 60}m",
                 ",".join(i["lab"] for i in a.labs), str(len(a.invites))] for a in s.scalars(q)]
    click.echo(table(rows, ["ID", "TEAM", "TITLE", "MODE", "TIME", "LABS", "INVITES"]))


@assessment.command("invite")
@click.argument("assessment_id", type=int)
@click.argument("label")
@click.option("--extra-minutes", type=int, default=0, show_default=True, help="Extra time (accessibility).")
@click.option("--base-url", default=lambda: os.environ.get("OPSLAB_BASE_URL", "http://127.0.0.1:8000"),
              help="The platform's address, for the link ($OPSLAB_BASE_URL).")
def assessment_invite(assessment_id, label, extra_minutes, base_url) -> None:
    """Create a single-use invite link for a candidate; the link is printed once."""
    from webapp import invites
    from webapp.services import SessionError

    with platform_db() as (_app, s):
        a = find_assessment(s, assessment_id)
        try:
            _inv, token = invites.create_invite(s, a, label, extra_minutes)
        except SessionError as e:
            refused(e)
        click.echo(invites.link(token, base_url))


@assessment.command("report")
@click.argument("assessment_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
def assessment_report(assessment_id, fmt) -> None:
    """Every candidate of an assessment: score, per lab, time, flags (json: full reports)."""
    from pathlib import Path

    from webapp import reports
    from webapp.reviewers import lab_columns, to_csv

    with platform_db() as (app, s):
        a = find_assessment(s, assessment_id)
        built = [reports.build(s, inv, Path(app.config["RECORDINGS_DIR"])) for inv in a.invites]
        columns = lab_columns(a, built)
    rows = [reports.summary_row(r) for r in built]
    if fmt == "json":
        click.echo(json.dumps({"assessment": assessment_id, "candidates": rows, "reports": built}, indent=2))
    elif fmt == "csv":
        click.echo(to_csv(rows), nl=False)
    else:
        keys = ["candidate", "status", "percent", *columns, "minutes_used", "flags"]
        click.echo(table([[str(r.get(k, "")) for k in keys] for r in rows], [k.upper() for k in keys]))
