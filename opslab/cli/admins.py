"""For admins: `opslab user create|password|token` (accounts of the web platform) and
`opslab team create|list` (hiring teams)."""

from __future__ import annotations

from contextlib import contextmanager

import click

from opslab.cli.app import err, fail, main


@main.group()
def user() -> None:
    """Accounts of the web platform."""


@user.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["candidate", "reviewer", "instructor", "admin"]), default="candidate",
              show_default=True)
@click.option("--password", envvar="OPSLAB_PASSWORD", help="Default: prompt (or $OPSLAB_PASSWORD).")
@click.option("--team", help="The hiring team of a reviewer (`opslab team create NAME`).")
def user_create(email: str, role: str, password: str | None, team: str | None) -> None:
    """Create a user who can log in."""
    from webapp import create_app
    from webapp.auth import create_user
    from webapp.db import session_scope
    from webapp.models import Role
    from webapp.teams import find_team

    if team and role != "reviewer":
        fail("--team is for reviewers: add --role reviewer")
    password = password or click.prompt("password", hide_input=True, confirmation_prompt=True)
    with session_scope(create_app()) as s:
        try:
            team_id = find_team(s, team).id if team else None
            u = create_user(s, email, password, Role(role))
        except ValueError as e:
            fail(str(e))
        u.team_id = team_id
        s.commit()
    err(f"created {role} {email.strip().lower()}" + (f" in team {team}" if team else ""))


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
            fail(f"no user {email}; create one with `opslab user create {email}`")
        yield s, u


@user.command("password")
@click.argument("email")
@click.option("--password", envvar="OPSLAB_PASSWORD", help="Default: prompt (or $OPSLAB_PASSWORD).")
def user_password(email: str, password: str | None) -> None:
    """Set a new password for a user (e.g. the first admin's, if it was lost); their sessions
    and API token end."""
    from webapp.auth import set_password

    password = password or click.prompt("new password", hide_input=True, confirmation_prompt=True)
    with existing_user(email) as (s, u):
        try:
            set_password(s, u, password)
        except ValueError as e:
            fail(str(e))
    err(f"password of {u.email} changed; their sessions and API token have ended")


@user.command("token")
@click.argument("email")
def user_token(email: str) -> None:
    """Issue an API token for a user (replaces the previous one); printed once."""
    from webapp.auth import issue_api_token

    with existing_user(email) as (s, u):
        click.echo(issue_api_token(s, u))


@main.group()
def team() -> None:
    """Hiring teams: their reviewers see only their own assessments and reports."""


@team.command("create")
@click.argument("name")
def team_create(name: str) -> None:
    """Create a hiring team (then: `opslab user create EMAIL --role reviewer --team NAME`)."""
    from webapp import create_app
    from webapp.db import session_scope
    from webapp.teams import create_team

    with session_scope(create_app()) as s:
        try:
            create_team(s, name)
        except ValueError as e:
            fail(str(e))
    err(f"created team {name.strip()}")


@team.command("list")
def team_list() -> None:
    """Teams and their reviewers."""
    from sqlalchemy import select

    from opslab.cli.app import table
    from webapp import create_app
    from webapp.db import session_scope
    from webapp.models import Team, User

    with session_scope(create_app()) as s:
        rows = [[t.name, ", ".join(s.scalars(select(User.email).where(User.team_id == t.id))) or "-"]
                for t in s.scalars(select(Team).order_by(Team.name))]
    click.echo(table(rows, ["TEAM", "REVIEWERS"]))


@team.command("webhook")
@click.argument("name")
@click.argument("url", required=False)
@click.option("--off", is_flag=True, help="Stop posting to the team's webhook.")
def team_webhook(name: str, url: str | None, off: bool) -> None:
    """POST each graded attempt to URL, signed (X-Opslab-Signature); prints the secret once."""
    from webapp import create_app
    from webapp.db import session_scope
    from webapp.teams import find_team
    from webapp.webhooks import set_webhook

    if not off and not url:
        fail("give the URL to post to, or --off")
    with session_scope(create_app()) as s:
        try:
            secret = set_webhook(s, find_team(s, name), None if off else url)
        except ValueError as e:
            fail(str(e))
    if secret:
        click.echo(secret)
    err(f"webhook of team {name} " + ("off" if off else f"set to {url}; the secret above is shown once"))
