#!/usr/bin/env bash
# Everything fixed, but the switch is the textbook rm + ln -s: a window with no release.
# targets: atomic-release
set -euo pipefail
cat > /srv/git/shop.git/hooks/post-receive <<'HOOK'
#!/bin/bash
while read -r old new ref; do
    [ "$ref" = refs/heads/main ] || continue
    /usr/bin/ci-run /srv/git/shop.git "$ref" "$new"
done
HOOK
cd /root/shop
sed -i 's|^    discount = .*|    discount = money(total * Decimal(discount_pct) / 100)|' app/pricing.py
sed -i -e 's/^debug = yes/debug = no/' -e 's/ || true$//' pipeline.ini
sed -i 's/git rev-parse --short HEAD/git rev-parse HEAD/' ci/build.sh
cat > ci/deploy.sh <<'SH'
#!/bin/bash
set -euo pipefail
rev=$(cat REVISION)
mkdir -p "/srv/app/releases/$rev"
tar -xzf dist/shop.tar.gz -C "/srv/app/releases/$rev"
openssl dgst -sha256 -hmac "$DEPLOY_TOKEN" -r REVISION | cut -d' ' -f1 > "/srv/app/releases/$rev/RELEASE.sig"
rm -rf /srv/app/current
ln -s "/srv/app/releases/$rev" /srv/app/current
SH
git commit -qam "ci: releases folder" && git push -q origin main
