"""Checks for aws-s3-bucket-exposed: is the customer-exports bucket closed, protected and whole?

The bucket lives in the AWS emulator on the host `aws`, which the candidate cannot enter and
whose control API (reset, seed) refuses the lab network. Each grading reads the bucket once,
there, through the emulator's S3 API (policy, ACLs of the bucket and of every object, public
access block, ownership, encryption, versioning, every object's bytes), and judges it on the
grader's side: the objects against the lab's own copies (files/objects), the policy with
AWS's evaluation logic (iampolicy.py) for the reporting role that must keep its access.
"""

import hashlib
import importlib.util
import json
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("iampolicy", Path(__file__).parent / "iampolicy.py")
iampolicy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(iampolicy)

BUCKET = "shop-customer-exports"
ARN = f"arn:aws:s3:::{BUCKET}"
REPORTING = {"arn": "arn:aws:iam::123456789012:role/reporting", "policies": [], "boundary": None}
PUBLIC_GROUPS = ("http://acs.amazonaws.com/groups/global/AllUsers",
                 "http://acs.amazonaws.com/groups/global/AuthenticatedUsers")
PAB = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")

# Runs on `aws` (no shell for the candidate), against the emulator on its loopback.
DUMP = r"""
import hashlib, json, os, sys
os.environ.update(AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
import boto3
from botocore.exceptions import ClientError, EndpointConnectionError
kw = dict(endpoint_url="http://127.0.0.1:5000", region_name="us-east-1",
          aws_access_key_id="grader", aws_secret_access_key="grader")
s3 = boto3.client("s3", **kw)
B = sys.argv[1]

def get(call, *path, missing=(), **args):
    try:
        out = getattr(s3, call)(Bucket=B, **args)
    except ClientError as e:
        if e.response["Error"]["Code"] in missing:
            return None
        raise
    for p in path:
        out = out.get(p) if isinstance(out, dict) else None
    return out

def grants(acl):
    return [g["Grantee"].get("URI") or g["Grantee"].get("ID") for g in acl.get("Grants", [])]

try:
    if get("head_bucket", missing=("404", "NoSuchBucket")) is None:
        out = {"bucket": False}
    else:
        objects = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=B):
            for o in page.get("Contents", []):
                body = s3.get_object(Bucket=B, Key=o["Key"])["Body"].read()
                objects[o["Key"]] = {"sha256": hashlib.sha256(body).hexdigest(),
                                     "grants": grants(s3.get_object_acl(Bucket=B, Key=o["Key"]))}
        policy = get("get_bucket_policy", "Policy", missing=("NoSuchBucketPolicy",))
        out = {"bucket": True, "objects": objects,
               "policy": json.loads(policy) if policy else None,
               "grants": grants(s3.get_bucket_acl(Bucket=B)),
               "pab": get("get_public_access_block", "PublicAccessBlockConfiguration",
                          missing=("NoSuchPublicAccessBlockConfiguration",)),
               "ownership": [r.get("ObjectOwnership") for r in get(
                   "get_bucket_ownership_controls", "OwnershipControls", "Rules",
                   missing=("OwnershipControlsNotFoundError",)) or []],
               "encryption": [r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm") for r in get(
                   "get_bucket_encryption", "ServerSideEncryptionConfiguration", "Rules",
                   missing=("ServerSideEncryptionConfigurationNotFoundError",)) or []],
               "versioning": get("get_bucket_versioning", "Status")}
except EndpointConnectionError:
    out = {"down": True}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def bucket(aws):
    """The bucket as the emulator holds it now."""
    cmd = aws.run("/usr/bin/python3 -I -c %s %s", DUMP, BUCKET)
    assert cmd.rc == 0 and cmd.stdout.strip(), "the AWS emulator on host aws did not answer the grader"
    state = json.loads(cmd.stdout)
    assert not state.get("down"), "the AWS emulator on host aws is not running (was it crashed?)"
    assert state["bucket"], f"the bucket {BUCKET} is gone: the exports must stay where they are"
    return state


@pytest.fixture(scope="module")
def originals(lab_dir):
    """{key: sha256} of every object the bucket started with."""
    root = lab_dir / "files" / "objects"
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _public_statements(policy):
    """Sids (or positions) of Allow statements whose principal is everyone."""
    found = []
    for i, stmt in enumerate(iampolicy.statements(policy)):
        principal = stmt.get("Principal")
        everyone = principal == "*" or (isinstance(principal, dict) and "*" in (
            principal.get("AWS") if isinstance(principal.get("AWS"), list) else [principal.get("AWS")]))
        if stmt.get("Effect") == "Allow" and (everyone or "NotPrincipal" in stmt):
            found.append(stmt.get("Sid") or f"#{i + 1}")
    return found


def _acls_disabled(bucket):
    return "BucketOwnerEnforced" in bucket["ownership"]


@pytest.mark.task("public-access-blocked")
def test_public_access_block_is_fully_on(bucket):
    pab = bucket["pab"] or {}
    off = [k for k in PAB if pab.get(k) is not True]
    assert not off, f"the bucket's public access block does not turn on: {', '.join(off)}"


@pytest.mark.task("no-public-grants")
def test_bucket_policy_grants_nothing_to_everyone(bucket):
    public = _public_statements(bucket["policy"])
    assert not public, f"the bucket policy still allows everyone (statement {', '.join(public)})"


@pytest.mark.task("no-public-grants")
def test_reporting_role_keeps_reading_exports(bucket):
    docs = [bucket["policy"]] if bucket["policy"] else []
    for action, resource in (("s3:GetObject", f"{ARN}/exports/customers-2026-12.csv"), ("s3:ListBucket", ARN)):
        surely, _ = iampolicy.decide(REPORTING, docs, action, resource, {"s3:prefix": "exports/"})
        assert surely, f"the reporting role can no longer {action} on {resource}: keep its statement"


@pytest.mark.task("no-public-grants")
def test_bucket_acl_grants_nothing_to_everyone(bucket):
    public = [g for g in bucket["grants"] if g in PUBLIC_GROUPS]
    assert _acls_disabled(bucket) or not public, \
        f"the bucket's ACL still grants access to {public[0].rsplit('/', 1)[-1]}"


@pytest.mark.task("no-public-grants")
def test_no_object_acl_grants_anything_to_everyone(bucket):
    public = sorted(k for k, o in bucket["objects"].items() if set(o["grants"]) & set(PUBLIC_GROUPS))
    assert _acls_disabled(bucket) or not public, \
        f"{len(public)} object(s) still have a public ACL, such as {public[0]!r}" if public else ""


@pytest.mark.task("encrypted-versioned")
def test_default_encryption_is_on(bucket):
    assert set(bucket["encryption"]) & {"AES256", "aws:kms", "aws:kms:dsse"}, \
        "the bucket has no default server-side encryption"


@pytest.mark.task("encrypted-versioned")
def test_versioning_is_enabled(bucket):
    assert bucket["versioning"] == "Enabled", \
        f"versioning is {(bucket['versioning'] or 'off').lower()}, not enabled"


def _assert_intact(bucket, originals):
    missing = sorted(set(originals) - set(bucket["objects"]))
    assert not missing, (f"{len(missing)} of the original objects are gone, such as {missing[0]!r}: "
                         "fix the bucket without losing exports") if missing else ""
    changed = sorted(k for k, digest in originals.items() if bucket["objects"][k]["sha256"] != digest)
    assert not changed, (f"{len(changed)} object(s) no longer hold what they held, such as {changed[0]!r}"
                         if changed else "")


@pytest.mark.task("no-public-grants")
def test_exports_survived_closing_the_bucket(bucket, originals):
    _assert_intact(bucket, originals)


@pytest.mark.task("encrypted-versioned")
def test_exports_survived_protecting_the_bucket(bucket, originals):
    _assert_intact(bucket, originals)
