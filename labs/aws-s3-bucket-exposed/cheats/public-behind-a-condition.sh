#!/usr/bin/env bash
# Keep the public statement but hide it behind a condition that every HTTPS request meets,
# and fix the ACLs.
# targets: no-public-grants
set -euo pipefail
[ "$OPSLAB_HOST" = ci ] || exit 0
B=shop-customer-exports
aws s3api get-bucket-policy --bucket $B --query Policy --output text \
  | jq '.Statement |= map(if .Principal == "*" then . + {"Condition": {"Bool": {"aws:SecureTransport": "true"}}} else . end)' > /root/policy.json
aws s3api put-bucket-policy --bucket $B --policy file:///root/policy.json
aws s3api put-bucket-acl --bucket $B --acl private
aws s3api list-objects-v2 --bucket $B --query 'Contents[].Key' --output json | jq -r '.[]' |
  while IFS= read -r key; do aws s3api put-object-acl --bucket $B --key "$key" --acl private; done
