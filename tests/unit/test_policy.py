"""One email validator and one password policy (webapp.policy), shared by forms and CLI."""

from __future__ import annotations

import pytest

from webapp.policy import COMMON_PASSWORDS, MIN_PASSWORD, normalize_email, validate_password


@pytest.mark.parametrize(("raw", "canonical"), [(" Ann@Example.ORG ", "ann@example.org"),
                                                ("ops@intranet", "ops@intranet")])
def test_emails_are_trimmed_and_lowered(raw, canonical):
    assert normalize_email(raw) == canonical


@pytest.mark.parametrize("email", ["", "ann", "ann@", "@x", "a b@x.org", "a@b@c", "ann@x.org\nbob@y.org", "a\tb@x",
                                   "x" * 250 + "@x.org"])
def test_what_is_not_an_email_is_refused_and_the_message_is_bounded(email):
    with pytest.raises(ValueError, match="is not an email address") as e:
        normalize_email(email)
    assert len(str(e.value)) < 160


@pytest.mark.parametrize(("password", "why"), [
    ("short", f"at least {MIN_PASSWORD} characters"),
    ("x" * 257, "at most 256 characters"),
    ("aaaaaaaaaa", "repeats one or two characters"),
    ("ababababab", "repeats one or two characters"),
    ("ann.lee@example.org", "email address"),
    ("ANN.LEE@EXAMPLE.ORG1", "email address"),
    ("my ann.lee password", "email address"),
    ("1234567890", "most common passwords"),
    ("QwertyUiop", "most common passwords"),
    ("password123", "most common passwords"),
])
def test_weak_passwords_are_refused_with_the_reason(password, why):
    with pytest.raises(ValueError, match=why):
        validate_password(password, "ann.lee@example.org")


@pytest.mark.parametrize("password", ["correct horse battery", "password-123", "Tr0ub4dor&3xyz", "x" * 9 + "yz"])
def test_reasonable_passwords_pass(password):
    validate_password(password, "ann.lee@example.org")


def test_a_name_part_of_one_or_two_letters_is_not_held_against_every_password():
    validate_password("an alpine meadow", "al@example.org")


def test_the_common_list_holds_only_passwords_the_length_rule_lets_through():
    assert all(len(p) >= MIN_PASSWORD for p in COMMON_PASSWORDS)
