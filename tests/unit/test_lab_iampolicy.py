"""The cloud labs' grader-side IAM evaluation (labs/aws-*/checks/iampolicy.py): AWS's rules
as the checks rely on them, and one copy per lab, kept identical."""

import importlib.util
from pathlib import Path

import pytest

LABS = Path(__file__).resolve().parents[2] / "labs"
COPIES = sorted(LABS.glob("aws-*/checks/iampolicy.py"))
USER = "arn:aws:iam::123456789012:user/ci-deploy"
RELEASES = "arn:aws:s3:::shop-artifacts/releases/shop-1.5.0.tar.gz"
DEPLOY = {"Statement": [
    {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": "arn:aws:s3:::shop-artifacts/releases/*"},
    {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::shop-artifacts",
     "Condition": {"StringLike": {"s3:prefix": "releases/*"}}}]}
EVERYTHING = {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}


@pytest.fixture(scope="module")
def iam():
    spec = importlib.util.spec_from_file_location("iampolicy", COPIES[0])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def who(*docs, boundary=None):
    return {"arn": USER, "policies": list(docs), "boundary": boundary}


def test_the_labs_share_one_evaluator():
    assert len(COPIES) >= 2
    assert len({p.read_bytes() for p in COPIES}) == 1, "labs/aws-*/checks/iampolicy.py copies differ"


@pytest.mark.parametrize("action, resource, context, expected", [
    ("s3:putobject", RELEASES, {}, (True, True)),                     # actions ignore case
    ("s3:GetObject", RELEASES.upper(), {}, (False, False)),            # resources do not
    ("s3:DeleteObject", RELEASES, {}, (False, False)),
    ("s3:ListBucket", "arn:aws:s3:::shop-artifacts", {"s3:prefix": "releases/"}, (True, True)),
    ("s3:ListBucket", "arn:aws:s3:::shop-artifacts", {"s3:prefix": "config/"}, (False, False)),
    ("s3:ListBucket", "arn:aws:s3:::shop-artifacts", {}, (False, False)),  # key absent: StringLike is false
])
def test_scoped_policy(iam, action, resource, context, expected):
    assert iam.decide(who(DEPLOY), [], action, resource, context) == expected


def test_explicit_deny_wins_and_not_action(iam):
    deny = {"Statement": [{"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"}]}
    assert iam.decide(who(EVERYTHING, deny), [], "iam:CreateUser", "*") == (False, False)
    assert iam.decide(who(EVERYTHING, deny), [], "s3:DeleteBucket", "arn:aws:s3:::x") == (True, True)


def test_boundary_caps_identity_policies(iam):
    assert iam.decide(who(EVERYTHING, boundary=DEPLOY), [], "iam:CreateUser", "*") == (False, False)
    assert iam.decide(who(EVERYTHING, boundary=DEPLOY), [], "s3:GetObject", RELEASES) == (True, True)


def test_unknown_conditions_count_against_the_candidate(iam):
    hidden = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
                             "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}
    assert iam.decide(who(hidden), [], "iam:CreateUser", "*") == (False, True)
    unsure_deny = {"Statement": [{"Effect": "Deny", "Action": "iam:*", "Resource": "*",
                                  "Condition": {"DateLessThan": {"aws:CurrentTime": "2030-01-01"}}}]}
    assert iam.decide(who(EVERYTHING, unsure_deny), [], "iam:CreateUser", "*") == (False, True)


def test_bucket_policies_grant_to_the_named_principal_only(iam):
    bucket = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": USER}, "Action": "s3:GetObject",
                             "Resource": "arn:aws:s3:::b/*"},
                            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                             "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}]}
    assert iam.decide(who(), [bucket], "s3:GetObject", "arn:aws:s3:::b/k") == (True, True)
    assert iam.decide(who(), [bucket], "s3:PutObject", "arn:aws:s3:::b/k") == (False, False)  # the account delegates


def test_many_wildcards_do_not_backtrack(iam):
    assert not iam._glob("*" * 500 + "b", "a" * 5000, False)
