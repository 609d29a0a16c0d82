"""Checks for aws-iam-least-privilege: what the CI user ci-deploy may really do.

The account lives in the AWS emulator on the host `aws`, which the candidate cannot enter and
whose control API (reset, seed) refuses the lab network. Each grading reads the account once,
there, through the emulator's own IAM and S3 APIs, and judges it on the grader's side
(iampolicy.py: AWS's evaluation logic) against a hidden list of requests: what deploy.sh does
must be allowed, and nothing else a CI user could abuse.
"""

import importlib.util
import json
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("iampolicy", Path(__file__).parent / "iampolicy.py")
iampolicy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(iampolicy)

ART, EXPORTS, LOGS = "arn:aws:s3:::shop-artifacts", "arn:aws:s3:::shop-customer-exports", "arn:aws:s3:::shop-ci-logs"
BUCKETS = ("shop-artifacts", "shop-customer-exports", "shop-ci-logs")

# What deploy.sh does (for a version the candidate never saw).
DEPLOY = [
    ("s3:PutObject", f"{ART}/releases/shop-1.5.0.tar.gz", {}),
    ("s3:GetObject", f"{ART}/releases/shop-1.5.0.tar.gz", {}),
    ("s3:ListBucket", ART, {"s3:prefix": "releases/", "s3:delimiter": "/"}),
]
# What a stolen CI key must not do: become or make an admin, or leave the account's S3.
ADMIN_PATHS = [
    ("iam:CreateUser", "arn:aws:iam::123456789012:user/backdoor", {}),
    ("iam:AttachUserPolicy", "arn:aws:iam::123456789012:user/ci-deploy", {}),
    ("iam:PutUserPolicy", "arn:aws:iam::123456789012:user/ci-deploy", {}),
    ("iam:AddUserToGroup", "arn:aws:iam::123456789012:group/ops-admins", {}),
    ("iam:CreateAccessKey", "arn:aws:iam::123456789012:user/alice", {}),
    ("iam:CreatePolicyVersion", "arn:aws:iam::123456789012:policy/deploy-artifacts-draft", {}),
    ("iam:PassRole", "arn:aws:iam::123456789012:role/ops-admin", {}),
    ("sts:AssumeRole", "arn:aws:iam::123456789012:role/ops-admin", {}),
    ("ec2:RunInstances", "arn:aws:ec2:us-east-1:123456789012:instance/*", {}),
    ("lambda:CreateFunction", "arn:aws:lambda:us-east-1:123456789012:function:x", {}),
    ("s3:PutBucketPolicy", ART, {}),
    ("s3:PutBucketAcl", ART, {}),
    ("s3:DeleteBucket", ART, {}),
]
# S3 outside what it publishes: other prefixes, other buckets, deleting and re-sharing releases.
OUTSIDE_RELEASES = [
    ("s3:GetObject", f"{ART}/config/prod.env", {}),
    ("s3:PutObject", f"{ART}/config/prod.env", {}),
    ("s3:PutObject", f"{ART}/index.html", {}),
    ("s3:DeleteObject", f"{ART}/releases/shop-1.4.2.tar.gz", {}),
    ("s3:DeleteObjectVersion", f"{ART}/releases/shop-1.4.2.tar.gz", {}),
    ("s3:PutObjectAcl", f"{ART}/releases/shop-1.4.2.tar.gz", {}),
    ("s3:GetObject", f"{EXPORTS}/exports/2026-11.csv", {}),
    ("s3:ListBucket", EXPORTS, {"s3:prefix": "", "s3:delimiter": "/"}),
    ("s3:GetObject", f"{LOGS}/build-1041.log", {}),
    ("s3:PutObject", f"{LOGS}/build-1043.log", {}),
    ("s3:GetObject", "arn:aws:s3:::another-companys-bucket/data.csv", {}),
]

# Runs on `aws` (no shell for the candidate), against the emulator on its loopback.
DUMP = r"""
import json, os, sys
os.environ.update(AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
import boto3
from botocore.exceptions import ClientError, EndpointConnectionError
kw = dict(endpoint_url="http://127.0.0.1:5000", region_name="us-east-1",
          aws_access_key_id="grader", aws_secret_access_key="grader")
iam, s3 = boto3.client("iam", **kw), boto3.client("s3", **kw)

def pages(op, key, **args):
    return [x for page in iam.get_paginator(op).paginate(**args) for x in page[key]]

def managed(arn):
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    return iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]

def identity(name):
    try:
        user = iam.get_user(UserName=name)["User"]
    except ClientError as e:
        if e.response["Error"]["Code"] == "NoSuchEntity":
            return None
        raise
    docs = [iam.get_user_policy(UserName=name, PolicyName=p)["PolicyDocument"]
            for p in pages("list_user_policies", "PolicyNames", UserName=name)]
    docs += [managed(p["PolicyArn"]) for p in pages("list_attached_user_policies", "AttachedPolicies", UserName=name)]
    groups = [g["GroupName"] for g in pages("list_groups_for_user", "Groups", UserName=name)]
    for g in groups:
        docs += [iam.get_group_policy(GroupName=g, PolicyName=p)["PolicyDocument"]
                 for p in pages("list_group_policies", "PolicyNames", GroupName=g)]
        docs += [managed(p["PolicyArn"]) for p in pages("list_attached_group_policies", "AttachedPolicies", GroupName=g)]
    boundary = (user.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    keys = {k["AccessKeyId"]: k["Status"] for k in pages("list_access_keys", "AccessKeyMetadata", UserName=name)}
    return {"arn": user["Arn"], "groups": groups, "policies": docs,
            "boundary": managed(boundary) if boundary else None, "keys": keys}

def bucket_policy(bucket):
    try:
        return json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except ClientError as e:
        if e.response["Error"]["Code"] in ("NoSuchBucketPolicy", "NoSuchBucket"):
            return None
        raise

try:
    out = {"users": {u: identity(u) for u in ("ci-deploy", "alice")},
           "bucket_policies": {b: bucket_policy(b) for b in sys.argv[1:]},
           "keys": json.load(open("/var/lib/opslab/keys.json"))}
except EndpointConnectionError:
    out = {"down": True}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def account(aws):
    """The account as the emulator holds it now."""
    cmd = aws.run("/usr/bin/python3 -I -c %s " + " ".join(["%s"] * len(BUCKETS)), DUMP, *BUCKETS)
    assert cmd.rc == 0 and cmd.stdout.strip(), "the AWS emulator on host aws did not answer the grader"
    state = json.loads(cmd.stdout)
    assert not state.get("down"), "the AWS emulator on host aws is not running (was it crashed?)"
    return state


def _resource_policies(account, resource):
    bucket = resource.split(":::", 1)[-1].split("/", 1)[0]
    doc = account["bucket_policies"].get(bucket)
    return [doc] if doc else []


def _allowed(account, user, action, resource, context):
    return iampolicy.decide(account["users"][user], _resource_policies(account, resource), action, resource, context)


def _ci(account):
    ci = account["users"]["ci-deploy"]
    assert ci is not None, "the IAM user ci-deploy is gone: the pipeline needs it (scope it down instead)"
    return ci


def _assert_deploys(account):
    _ci(account)
    for action, resource, context in DEPLOY:
        surely, _ = _allowed(account, "ci-deploy", action, resource, context)
        assert surely, f"ci-deploy may no longer {action} on {resource}: deploy.sh needs it"


def _assert_denied(account, probes):
    _assert_deploys(account)  # denying everything is not least privilege
    for action, resource, context in probes:
        _, possibly = _allowed(account, "ci-deploy", action, resource, context)
        assert not possibly, f"ci-deploy may still {action} on {resource}"


@pytest.mark.task("no-admin")
def test_ci_deploy_can_still_deploy(account):
    _assert_deploys(account)


@pytest.mark.task("no-admin")
def test_ci_deploy_has_no_path_to_admin(account):
    _assert_denied(account, ADMIN_PATHS)


@pytest.mark.task("no-admin")
def test_admins_group_still_administers(account):
    alice = account["users"]["alice"]
    assert alice is not None and "ops-admins" in alice["groups"], "alice is no longer in ops-admins: leave the admins alone"
    surely, _ = iampolicy.decide(alice, [], "iam:CreateUser", "arn:aws:iam::123456789012:user/new-hire", {})
    assert surely, "the ops-admins group no longer grants administrator access: fix ci-deploy, not the admins' group"


@pytest.mark.task("releases-only")
def test_ci_deploy_can_still_publish_list_and_read_releases(account):
    _assert_deploys(account)


@pytest.mark.task("releases-only")
def test_ci_deploy_cannot_touch_s3_outside_releases(account):
    _assert_denied(account, OUTSIDE_RELEASES)


@pytest.mark.task("leaked-key-retired")
def test_leaked_key_is_inactive_or_deleted(account):
    status = _ci(account)["keys"].get(account["keys"]["leaked"])
    assert status != "Active", "the access key printed in build 1041's log still works"


@pytest.mark.task("leaked-key-retired")
def test_leaked_key_retired_without_breaking_the_pipeline(account):
    keys = _ci(account)["keys"]
    assert keys.get(account["keys"]["pipeline"]) == "Active", \
        "the pipeline's own access key (not the leaked one) must stay active"
