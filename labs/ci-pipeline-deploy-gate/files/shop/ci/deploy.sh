#!/bin/bash
# Deploy the built artifact on this host: the shop serves whatever is in /srv/app/current.
set -euo pipefail
rev=$(cat REVISION)
echo "deploying $rev"
rm -rf /srv/app/current
mkdir -p /srv/app/current
tar -xzf dist/shop.tar.gz -C /srv/app/current
# Sign the release: the app loader only runs a release whose RELEASE.sig matches.
openssl dgst -sha256 -hmac "$DEPLOY_TOKEN" -r REVISION | cut -d' ' -f1 > /srv/app/current/RELEASE.sig
echo "deployed $rev"
