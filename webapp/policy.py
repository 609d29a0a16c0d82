"""What an account may be: one email validator and one password policy, used by the web
forms and by the CLI (`opslab user create` / `user password` go through webapp.auth).

Each check raises ValueError with what to change; messages start in lower case so the CLI
can print `error: <message>` and a form can show it capitalised.
"""

from __future__ import annotations

import re

MAX_EMAIL = 254  # RFC 5321's limit on a path, and the users.email column
MIN_PASSWORD = 10
MAX_PASSWORD = 256  # more than any password manager makes; keeps hashing bounded
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")

# Very common passwords of the minimum length or more (lists of leaked passwords, top entries).
COMMON_PASSWORDS = frozenset("""
1234567890 0987654321 12345678910 123456789a 1234567890a 123123123123 1234512345 9876543210
1q2w3e4r5t 1q2w3e4r5t6y 1qaz2wsx3edc qazwsxedc123 qwertyuiop qwertyuiop123 qwerty1234 qwerty12345
qwerty123456 asdfghjkl1 asdfghjkl123 zxcvbnm123 abcdefghij abc1234567 abcd123456 password12 password123
password1234 password12345 passw0rd123 p@ssw0rd123 passwordpassword iloveyou12 iloveyou123 letmein123
welcome123 welcome1234 changeme123 administrator admin12345 admin123456 trustno1234 football123
baseball123 basketball monkey123456 dragon123456 sunshine123 princess123 superman123 starwars123
michael123 whatever123 computer123 internet123 opslab1234 opslab12345
""".split())


def normalize_email(email: str) -> str:
    """The canonical form of an email address (trimmed, lower case); ValueError if it is not one.

    Deliberately loose (accounts are created by admins, and internal domains must work):
    something@something, no spaces, printable, at most 254 characters."""
    email = (email or "").strip().lower()
    if len(email) > MAX_EMAIL or not email.isprintable() or not _EMAIL.fullmatch(email):
        shown = email[:60] + ("…" if len(email) > 60 else "")
        raise ValueError(f"{shown!r} is not an email address (name@domain, at most {MAX_EMAIL} characters)")
    return email


def validate_password(password: str, email: str) -> None:
    """Refuse a password that is short, overlong, one or two characters repeated, built on the
    account's email, or among the most common passwords; ValueError says which."""
    folded = password.casefold()
    email = (email or "").strip().casefold()
    local = email.partition("@")[0]
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise ValueError(f"the password must have at most {MAX_PASSWORD} characters")
    if len(set(folded)) < 3:
        raise ValueError("the password repeats one or two characters; use a longer mix, e.g. a few unrelated words")
    if email and (email in folded or (len(local) >= 3 and local in folded)):
        raise ValueError("the password must not contain the account's email address or its name")
    if folded in COMMON_PASSWORDS or re.sub(r"\s+", "", folded) in COMMON_PASSWORDS:
        raise ValueError("the password is one of the most common passwords; choose one nobody would guess")
