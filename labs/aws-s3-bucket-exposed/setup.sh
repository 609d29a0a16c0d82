#!/usr/bin/env bash
# aws: start the emulator and publish the customer exports the way the audit found them:
# readable by anyone through the bucket policy, the bucket's ACL and two objects' ACLs;
# no public access block, no default encryption, no versioning.
set -euo pipefail
case "$OPSLAB_HOST" in
aws)
  /usr/bin/aws-emulator
  cd "$OPSLAB_FILES/objects"
  /usr/bin/python3 -I - <<'PY'
import json, os, pathlib
os.environ.update(AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
import boto3
kw = dict(endpoint_url="http://127.0.0.1:5000", region_name="us-east-1",
          aws_access_key_id="setup", aws_secret_access_key="setup")
iam, s3 = boto3.client("iam", **kw), boto3.client("s3", **kw)
B = "shop-customer-exports"
iam.create_role(RoleName="reporting", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
s3.create_bucket(Bucket=B, ACL="public-read")
acl = {"exports/customers-2026-11.csv": "public-read", "exports/partner summary 2026-11.csv": "authenticated-read"}
for path in sorted(p for p in pathlib.Path(".").rglob("*") if p.is_file()):
    key = path.as_posix()
    s3.put_object(Bucket=B, Key=key, Body=path.read_bytes(), ACL=acl.get(key, "private"),
                  ContentType="text/csv" if key.endswith(".csv") else "text/plain")
s3.put_bucket_policy(Bucket=B, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "ReportingReadsExports", "Effect": "Allow",
     "Principal": {"AWS": "arn:aws:iam::123456789012:role/reporting"},
     "Action": ["s3:GetObject", "s3:ListBucket"],
     "Resource": [f"arn:aws:s3:::{B}", f"arn:aws:s3:::{B}/exports/*"]},
    {"Sid": "TempPartnerDownload", "Effect": "Allow", "Principal": "*",
     "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{B}/*"},
]}))
PY
  ;;
esac
