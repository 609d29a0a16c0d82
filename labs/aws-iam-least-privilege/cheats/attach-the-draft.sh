#!/usr/bin/env bash
# Take every admin grant away and attach the draft policy someone left in the account:
# s3:* on the whole bucket (delete, re-share, read the production config).
# targets: releases-only
set -euo pipefail
[ "$OPSLAB_HOST" = ci ] || exit 0
aws iam remove-user-from-group --group-name ops-admins --user-name ci-deploy
aws iam detach-user-policy --user-name ci-deploy --policy-arn arn:aws:iam::aws:policy/AdministratorAccess
aws iam delete-user-policy --user-name ci-deploy --policy-name ci-everything
aws iam attach-user-policy --user-name ci-deploy --policy-arn arn:aws:iam::123456789012:policy/deploy-artifacts-draft
