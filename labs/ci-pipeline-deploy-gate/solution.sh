#!/usr/bin/env bash
# Reference solution.
# - The hook runs the pipeline only for main: other branches never reach the deploy stage.
# - The test stage really gates (no `|| true`); the red test is a real bug (the discount was
#   truncated, not rounded half-up), fixed in the code.
# - debug is off: it printed the environment, DEPLOY_TOKEN included, and traced the signing
#   command with the token in it.
# - The artifact is stamped with the full commit id; each release goes to
#   /srv/app/releases/<sha>, complete and signed before `current` is switched to it by a
#   rename (ln -sfn replaces a link atomically: a temporary link renamed over the old one).
set -euo pipefail

cat > /srv/git/shop.git/hooks/post-receive <<'HOOK'
#!/bin/bash
# post-receive: run the CI pipeline (and so the deploy) only for updates to main.
while read -r old new ref; do
    [ "$ref" = refs/heads/main ] || { echo "ci: $ref is not deployed"; continue; }
    /usr/bin/ci-run /srv/git/shop.git "$ref" "$new"
done
HOOK

cd /root/shop
sed -i 's|^    discount = .*|    discount = money(total * Decimal(discount_pct) / 100)|' app/pricing.py
python3 -m unittest discover -s tests -t .

sed -i -e 's/^debug = yes/debug = no/' -e 's/ || true$//' pipeline.ini
cat > ci/build.sh <<'SH'
#!/bin/bash
# Build the release artifact: the app, stamped with the commit it was built from.
set -euo pipefail
rm -rf dist && mkdir dist
printf '%s\n' "$CI_COMMIT_SHA" > REVISION
tar -czf dist/shop.tar.gz app REVISION
echo "built dist/shop.tar.gz for $CI_COMMIT_SHA"
SH
cat > ci/deploy.sh <<'SH'
#!/bin/bash
# Deploy the built artifact: unpack and sign it in a folder of its own, then switch
# /srv/app/current to it in one rename. Older releases stay for a rollback (the last 5).
set -euo pipefail
rev=$(cat REVISION)
releases=/srv/app/releases
mkdir -p "$releases"
tmp=$(mktemp -d "$releases/.incoming.XXXXXX")
tar -xzf dist/shop.tar.gz -C "$tmp"
openssl dgst -sha256 -hmac "$DEPLOY_TOKEN" -r REVISION | cut -d' ' -f1 > "$tmp/RELEASE.sig"
chmod 0755 "$tmp"
rm -rf "${releases:?}/$rev"
mv -T "$tmp" "$releases/$rev"
ln -sfn "$releases/$rev" /srv/app/current
echo "deployed $rev"
ls -1dt "$releases"/*/ | tail -n +6 | xargs -r rm -rf
SH

# /srv/app/current is a directory from the old deploys: a link cannot be renamed over it.
rm -rf /srv/app/current
git add -A
git commit -q -m "ci: gate deploys on tests, deploy main only, atomic releases, no token in logs"
git push origin main
readlink /srv/app/current
