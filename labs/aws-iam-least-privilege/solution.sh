#!/usr/bin/env bash
# Reference solution, from the candidate's host: take ci-deploy out of the admins' group,
# drop its admin grants, give it exactly what deploy.sh needs, and retire the leaked key.
set -euo pipefail
[ "$OPSLAB_HOST" = ci ] || exit 0
aws iam remove-user-from-group --group-name ops-admins --user-name ci-deploy
aws iam detach-user-policy --user-name ci-deploy --policy-arn arn:aws:iam::aws:policy/AdministratorAccess
aws iam delete-user-policy --user-name ci-deploy --policy-name ci-everything
cat > /root/ci/deploy-policy.json <<'JSON'
{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "PublishAndReadReleases", "Effect": "Allow",
     "Action": ["s3:PutObject", "s3:GetObject"],
     "Resource": "arn:aws:s3:::shop-artifacts/releases/*"},
    {"Sid": "ListReleases", "Effect": "Allow", "Action": "s3:ListBucket",
     "Resource": "arn:aws:s3:::shop-artifacts",
     "Condition": {"StringLike": {"s3:prefix": "releases/*"}}}
  ]
}
JSON
aws iam put-user-policy --user-name ci-deploy --policy-name deploy-releases \
  --policy-document file:///root/ci/deploy-policy.json
leaked=$(aws s3 cp s3://shop-ci-logs/build-1041.log - | sed -n 's/^AWS_ACCESS_KEY_ID=//p')
aws iam update-access-key --user-name ci-deploy --access-key-id "$leaked" --status Inactive
