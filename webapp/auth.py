"""Accounts: log in/out, password change and hashing, and the decorators that guard views.

The session cookie holds the user id and the user's session version; a cookie whose version
is not the stored one is refused, so log-out and a password change end every session of
that user, a copied cookie included (webapp.models.User.session_version).
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import EmailField, PasswordField, ValidationError
from wtforms.validators import DataRequired, EqualTo, Length

from webapp import login_throttle
from webapp.db import db
from webapp.models import Role, User
from webapp.policy import MAX_PASSWORD, MIN_PASSWORD, normalize_email, validate_password

__all__ = ["MIN_PASSWORD", "create_user", "hash_password", "normalize_email", "set_password", "validate_password"]
bp = Blueprint("auth", __name__)


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash("opslab-timing-equaliser", method="scrypt")


def _email_address(_form, field) -> None:
    try:
        normalize_email(field.data or "")
    except ValueError:
        raise ValidationError("Enter an email address.") from None


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), _email_address])  # the CLI's rule too
    # bounded, with room for passwords set before the policy had a maximum
    password = PasswordField("Password", validators=[DataRequired(), Length(max=4 * MAX_PASSWORD)])


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired()])
    new = PasswordField("New password", validators=[DataRequired()])
    confirm = PasswordField("New password again",
                            validators=[DataRequired(), EqualTo("new", message="The two new passwords differ.")])

    def validate_new(self, field) -> None:
        try:
            validate_password(field.data, g.user.email)
        except ValueError as e:
            raise ValidationError(_sentence(str(e))) from None


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith((".", "?", "!")) else ".")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")  # memory-hard, Werkzeug's default


def create_user(s, email: str, password: str, role: Role = Role.candidate) -> User:
    """Create a user; raise ValueError with what to change when the input is not acceptable."""
    email = normalize_email(email)
    validate_password(password, email)
    if s.scalar(select(User).where(User.email == email)):
        raise ValueError(f"a user with email {email} already exists")
    user = User(email=email, password_hash=hash_password(password), role=role)
    s.add(user)
    s.commit()
    return user


def set_password(s, user: User, password: str) -> None:
    """Give `user` a new password (policy checked, ValueError says what to change). Every
    session of the user and the API token end with it (User's password listener)."""
    validate_password(password, user.email)
    user.password_hash = hash_password(password)
    s.commit()


def end_sessions(s, user_id: int) -> None:
    """Refuse every session cookie issued to the user so far (log-out)."""
    s.execute(update(User).where(User.id == user_id).values(session_version=User.session_version + 1))
    s.commit()


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
    user = db().get(User, uid) if isinstance(uid, int) else None
    if user is not None and session.get("sv") != user.session_version:
        user = None  # logged out or password changed since this cookie was issued
    if user is None and uid is not None:
        session.clear()
    g.user = user


def log_in(user: User) -> None:
    """Start a fresh browser session for `user`: its id and session version in the cookie."""
    session.clear()
    session["uid"], session["sv"] = user.id, user.session_version
    g.user = user


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
        email = normalize_email(form.email.data)
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
            log_in(user)
            return redirect(_safe_next(request.args.get("next")))
        flash("Wrong email or password.", "error")
    return render_template("login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out here and everywhere: a copy of this cookie (or any other) stops working."""
    if g.user is not None:
        end_sessions(db(), g.user.id)
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """The current password, then a new one twice; every other session of the user ends."""
    form = PasswordForm()
    if form.validate_on_submit():
        # a stolen session must not become a way to guess the password: count like log-ins
        ip = login_throttle.client_key(request.remote_addr)
        wait = login_throttle.begin(db(), ip, g.user.email, current_app.config)
        if wait:
            flash(f"Too many wrong passwords. Try again in {login_throttle.in_words(wait)}.", "error")
            return render_template("password.html", form=form, min_password=MIN_PASSWORD), 429, {"Retry-After": str(wait)}
        if check_password_hash(g.user.password_hash, form.current.data):
            login_throttle.succeeded(db(), ip, g.user.email)
            set_password(db(), g.user, form.new.data)
            session["sv"] = g.user.session_version  # this session goes on; the others end
            flash("Password changed. Your other sessions and your API token no longer work.", "info")
            return redirect(url_for("catalogue.index"))
        form.current.errors.append("That is not your current password.")
    return render_template("password.html", form=form, min_password=MIN_PASSWORD)
