#!/usr/bin/env bash
# aws: start the emulator and build the account as the audit found it. ci: the pipeline's
# script, for the candidate to read.
set -euo pipefail
case "$OPSLAB_HOST" in
aws)
  /usr/bin/aws-emulator
  install -d -m 0700 /var/lib/opslab
  /usr/bin/python3 -I - <<'PY'
import json, os
os.environ.update(AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
import boto3
kw = dict(endpoint_url="http://127.0.0.1:5000", region_name="us-east-1",
          aws_access_key_id="setup", aws_secret_access_key="setup")
iam, s3 = boto3.client("iam", **kw), boto3.client("s3", **kw)
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"

for bucket, objects in {
    "shop-artifacts": {
        "releases/shop-1.4.1.tar.gz": b"shop 1.4.1 build artefact\n",
        "releases/shop-1.4.2.tar.gz": b"shop 1.4.2 build artefact\n",
        "config/prod.env": b"DATABASE_URL=postgres://shop:Wint3r-Sh0p@db.internal/shop\nSTRIPE_KEY=sk_live_51Hx\n",
    },
    "shop-customer-exports": {"exports/2026-11.csv": b"id,email,card_last4\n1,ada@example.org,4242\n"},
    "shop-ci-logs": {},
}.items():
    s3.create_bucket(Bucket=bucket)
    for key, body in objects.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)

iam.create_group(GroupName="ops-admins")
iam.attach_group_policy(GroupName="ops-admins", PolicyArn=ADMIN)
for user in ("alice", "ci-deploy"):
    iam.create_user(UserName=user)
    iam.add_user_to_group(GroupName="ops-admins", UserName=user)
iam.attach_user_policy(UserName="ci-deploy", PolicyArn=ADMIN)
iam.put_user_policy(UserName="ci-deploy", PolicyName="ci-everything", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
# Someone's first try, never attached: s3:* on the whole bucket.
iam.create_policy(PolicyName="deploy-artifacts-draft", Description="WIP: scope the CI user down", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*",
     "Resource": ["arn:aws:s3:::shop-artifacts", "arn:aws:s3:::shop-artifacts/*"]}]}))

leaked = iam.create_access_key(UserName="ci-deploy")["AccessKey"]
pipeline = iam.create_access_key(UserName="ci-deploy")["AccessKey"]
log = (
    "[build 1041] $ env | sort   # debugging a flaky upload\n"
    "AWS_ACCESS_KEY_ID=%s\nAWS_DEFAULT_REGION=us-east-1\nAWS_SECRET_ACCESS_KEY=%s\n"
    "CI=true\nCI_COMMIT_SHA=4f1c2e9\n"
    "[build 1041] $ aws s3 cp dist/shop-1.4.2.tar.gz s3://shop-artifacts/releases/\n"
    "upload: dist/shop-1.4.2.tar.gz to s3://shop-artifacts/releases/shop-1.4.2.tar.gz\n"
) % (leaked["AccessKeyId"], leaked["SecretAccessKey"])
s3.put_object(Bucket="shop-ci-logs", Key="build-1041.log", Body=log.encode())
s3.put_object(Bucket="shop-ci-logs", Key="build-1042.log",
              Body=b"[build 1042] $ ./ci/deploy.sh 1.4.2\nupload: dist/shop-1.4.2.tar.gz to s3://shop-artifacts/releases/shop-1.4.2.tar.gz\n")
with open("/var/lib/opslab/keys.json", "w") as f:
    json.dump({"leaked": leaked["AccessKeyId"], "pipeline": pipeline["AccessKeyId"]}, f)
PY
  chmod 0600 /var/lib/opslab/keys.json
  ;;
ci)
  install -d /root/ci
  cat > /root/ci/deploy.sh <<'SH'
#!/bin/sh
# What the pipeline runs as the IAM user ci-deploy after a green build of a tag.
# Its credentials come from the CI server's secret store (AWS_ACCESS_KEY_ID/_SECRET_ACCESS_KEY).
set -eu
version="$1"
aws s3 cp "dist/shop-$version.tar.gz" s3://shop-artifacts/releases/          # publish
aws s3 ls s3://shop-artifacts/releases/                                       # show what is published
aws s3 cp "s3://shop-artifacts/releases/shop-$version.tar.gz" /tmp/smoke.tgz  # smoke test reads it back
SH
  chmod 0755 /root/ci/deploy.sh
  ;;
esac
