#!/usr/bin/env bash
# Scope ci-deploy properly but "fix" the group by taking the admins' rights away, and keep
# ci-deploy in it.
# targets: no-admin
set -euo pipefail
[ "$OPSLAB_HOST" = ci ] || exit 0
aws iam detach-group-policy --group-name ops-admins --policy-arn arn:aws:iam::aws:policy/AdministratorAccess
aws iam detach-user-policy --user-name ci-deploy --policy-arn arn:aws:iam::aws:policy/AdministratorAccess
aws iam put-user-policy --user-name ci-deploy --policy-name ci-everything --policy-document \
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::shop-artifacts/releases/*"},{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::shop-artifacts"}]}'
