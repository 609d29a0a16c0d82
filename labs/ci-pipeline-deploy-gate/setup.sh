#!/usr/bin/env bash
# The shop's git server and deploy target, as found: a bare repository whose post-receive
# hook runs ci-run on every push; main has a red test hidden behind `|| true`, debug left
# on prints the deploy token into every log, a WIP branch went live, and releases are
# deployed in place.
set -euo pipefail
umask 022
f=$OPSLAB_FILES

install -d -m 0755 /srv/git /srv/app /etc/ci
printf 'DEPLOY_TOKEN=%s\n' "$(openssl rand -hex 20)" > /etc/ci/secrets.env
chmod 0600 /etc/ci/secrets.env

git init -q --bare -b main /srv/git/shop.git
install -m 0755 "$f/post-receive" /srv/git/shop.git/hooks/post-receive

git config --global user.name "Ops on-call"
git config --global user.email "oncall@acme.example"
git config --global advice.detachedHead false

# The team's history, commit by commit.
repo=/root/shop
mkdir -p "$repo" && cd "$repo"
git init -q -b main
git remote add origin /srv/git/shop.git
commit() { GIT_AUTHOR_NAME="$1" GIT_AUTHOR_EMAIL="$2" git commit -q -m "$3"; }

cp -r "$f/shop/app" "$f/shop/tests" "$f/shop/README.md" .
sed -i 's|^    discount = .*|    discount = money(total * Decimal(discount_pct) / 100)|' app/pricing.py
git add -A && commit "Mia Chen" mia@acme.example "pricing: line and basket totals, with tests"

mkdir ci && cp "$f/shop/ci/"*.sh ci/
sed -e 's/^debug = yes/debug = no/' -e 's/ || true$//' -e '/^# left on/d' -e '/^# TODO(INC-2207)/d' \
    "$f/shop/pipeline.ini" > pipeline.ini
git add -A && commit "Raj Patel" raj@acme.example "ci: pipeline, build and deploy"
git push -q origin main >/dev/null 2>&1

cp "$f/shop/app/pricing.py" app/pricing.py
git add -A && commit "Sam Okafor" sam@acme.example "pricing: integer discount math (faster)"
cp "$f/shop/pipeline.ini" pipeline.ini
git add -A && commit "Sam Okafor" sam@acme.example "ci: unblock deploys while the discount test is flaky (INC-2207)"
git push -q origin main >/dev/null 2>&1

git checkout -q -b wip/new-checkout
cp "$f/wip-checkout.py" app/checkout.py
git add -A && commit "Lee Novak" lee@acme.example "WIP: new checkout flow"
git push -q origin wip/new-checkout >/dev/null 2>&1
git checkout -q main
git branch -q -D wip/new-checkout
git fetch -q origin
