#!/usr/bin/env bash
# Reference solution, from the candidate's host: block public access, keep only the
# reporting role's statement, make the bucket's and every object's ACL private, turn on
# default encryption and versioning. No object is deleted or rewritten.
set -euo pipefail
[ "$OPSLAB_HOST" = ci ] || exit 0
B=shop-customer-exports
aws s3api put-public-access-block --bucket $B --public-access-block-configuration \
  BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
aws s3api get-bucket-policy --bucket $B --query Policy --output text \
  | jq '.Statement |= map(select(.Principal != "*" and .Principal.AWS != "*"))' > /root/policy.json
aws s3api put-bucket-policy --bucket $B --policy file:///root/policy.json
aws s3api put-bucket-acl --bucket $B --acl private
aws s3api list-objects-v2 --bucket $B --query 'Contents[].Key' --output json | jq -r '.[]' |
  while IFS= read -r key; do
    aws s3api put-object-acl --bucket $B --key "$key" --acl private
  done
aws s3api put-bucket-encryption --bucket $B --server-side-encryption-configuration \
  '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}'
aws s3api put-bucket-versioning --bucket $B --versioning-configuration Status=Enabled
