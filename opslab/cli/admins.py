"""For admins: `opslab user create|password|token` (accounts of the web platform)."""

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
def user_create(email: str, role: str, password: str | None) -> None:
    """Create a user who can log in."""
    from webapp import create_app
    from webapp.auth import create_user
    from webapp.db import session_scope
    from webapp.models import Role

    password = password or click.prompt("password", hide_input=True, confirmation_prompt=True)
    with session_scope(create_app()) as s:
        try:
            create_user(s, email, password, Role(role))
        except ValueError as e:
            fail(str(e))
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
