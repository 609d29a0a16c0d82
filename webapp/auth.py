"""Accounts: log in/out, password hashing, and the decorators that guard views."""

from __future__ import annotations

import functools
import hashlib
import secrets
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length, Regexp

from webapp import login_throttle
from webapp.db import db
from webapp.models import Role, User

bp = Blueprint("auth", __name__)
MIN_PASSWORD = 10


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash("opslab-timing-equaliser", method="scrypt")


class LoginForm(FlaskForm):
    # Deliberately loose: accounts are created by admins, and internal domains must work.
    email = EmailField("Email", validators=[DataRequired(), Length(max=254),
                                            Regexp(r"^[^@\s]+@[^@\s]+$", message="Enter an email address.")])
    password = PasswordField("Password", validators=[DataRequired()])


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")  # memory-hard, Werkzeug's default


def create_user(s, email: str, password: str, role: Role = Role.candidate) -> User:
    """Create a user; raise ValueError with what to change when the input is not acceptable."""
    email = email.strip().lower()
    if "@" not in email:
        raise ValueError(f"{email!r} is not an email address")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password must have at least {MIN_PASSWORD} characters")
    if s.scalar(select(User).where(User.email == email)):
        raise ValueError(f"a user with email {email} already exists")
    user = User(email=email, password_hash=hash_password(password), role=role)
    s.add(user)
    s.commit()
    return user


def issue_api_token(s, user: User) -> str:
    """A new API token for `user` (the old one stops working); only its hash is stored."""
    token = "opsl_" + secrets.token_urlsafe(32)
    user.api_token_hash = hashlib.sha256(token.encode()).hexdigest()
    s.commit()
    return token


def user_for_token(token: str) -> User | None:
    digest = hashlib.sha256(token.encode()).hexdigest()
    return db().scalar(select(User).where(User.api_token_hash == digest))


@bp.before_app_request
def load_user() -> None:
    uid = session.get("uid")
    g.user = db().get(User, uid) if uid else None


def login_required(view):
    @functools.wraps(view)
    def wrapped(**kwargs):
        if g.user is None:
            return redirect(url_for("auth.login", next=request.full_path))
        return view(**kwargs)

    return wrapped


def role_required(*roles: Role):
    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(**kwargs):
            if g.user.role not in roles:
                abort(403)
            return view(**kwargs)

        return wrapped

    return decorator


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never a redirect to another host (`//x`, `/\\x`, control chars)."""
    if target and target.startswith("/") and "\\" not in target and target.isprintable():
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and not target.startswith("//"):
            return target
    return url_for("catalogue.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        ip = login_throttle.client_key(request.remote_addr)
        wait = login_throttle.begin(db(), ip, email, current_app.config)
        if wait:
            flash(f"Too many failed log-ins. Try again in {login_throttle.in_words(wait)}.", "error")
            return render_template("login.html", form=form), 429, {"Retry-After": str(wait)}
        user = db().scalar(select(User).where(User.email == email))
        # hash even for unknown emails, so timing does not tell which accounts exist
        ok = check_password_hash(user.password_hash if user else _dummy_hash(), form.password.data)
        if user and ok:
            login_throttle.succeeded(db(), ip, email)
            session.clear()
            session["uid"] = user.id
            return redirect(_safe_next(request.args.get("next")))
        flash("Wrong email or password.", "error")
    return render_template("login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    session.clear()
    return redirect(url_for("auth.login"))
