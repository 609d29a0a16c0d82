#!/usr/bin/env bash
# The billing API's repository as a developer left it on the CI runner: a Dockerfile written
# in a hurry (latest base, a live Stripe key in ENV, curl | sh, root, no health check, code
# copied before the dependencies), a .dockerignore that only skips bytecode at the top, and
# the working tree's usual passengers: .env, secrets/, a deploy key, .git with a token in its
# remote URL, a local virtualenv. Credentials are made up here, fresh for every sandbox.
set -euo pipefail

repo=/srv/billing-api
rm -rf "$repo"
cp -a "$OPSLAB_FILES/billing-api" "$repo"
cd "$repo"
mv dockerignore .dockerignore
mv env.example .env.example

rand() { python3 -c 'import secrets, string, sys; print("".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(int(sys.argv[1]))))' "$1"; }
stripe="sk_live_$(rand 24)"
dbpw=$(rand 16)
gitlab="glpat-$(rand 20)"

sed -i "s/@STRIPE_KEY@/$stripe/" Dockerfile
printf 'DATABASE_URL=postgresql://billing:%s@db.billing.internal:5432/billing\nSTRIPE_API_KEY=%s\nSENTRY_DSN=https://4f0c2e1a9b@sentry.acme.internal/12\n' "$dbpw" "$stripe" > .env
install -d -m 0700 secrets
printf '%s\n' "$stripe" > secrets/stripe_live.key
printf '%s\n' "$dbpw" > secrets/db_password.txt
begin="-----BEGIN OPENSSH" end="-----END OPENSSH"
{ echo "$begin PRIVATE KEY-----"; for _ in 1 2 3 4; do rand 70; done; echo "$end PRIVATE KEY-----"; } > deploy/id_ed25519
chmod 0600 .env secrets/* deploy/id_ed25519

# A Git checkout (metadata only: the grader never needs history), remote URL with a CI token.
mkdir -p .git/refs/heads .git/objects/4f .git/objects/pack
echo 'ref: refs/heads/main' > .git/HEAD
printf '[core]\n\trepositoryformatversion = 0\n\tbare = false\n[remote "origin"]\n\turl = https://ci-bot:%s@git.acme.internal/payments/billing-api.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n' "$gitlab" > .git/config
rand 40 > .git/refs/heads/main
head -c 4096 /dev/urandom > .git/objects/4f/0c2e1a9b7d3e5f60718293a4b5c6d7e8f90a1b
head -c 65536 /dev/urandom > .git/objects/pack/pack-0c2e1a9b.pack

# The developer's local virtualenv and bytecode from running the tests.
for pkg in flask gunicorn stripe psycopg; do
  mkdir -p ".venv/lib/python3.12/site-packages/$pkg"
  echo "# $pkg (installed locally)" > ".venv/lib/python3.12/site-packages/$pkg/__init__.py"
done
mkdir -p .venv/bin && echo '# virtualenv activate' > .venv/bin/activate
mkdir -p billing/__pycache__
for m in __init__ api wsgi health; do head -c 512 /dev/urandom > "billing/__pycache__/$m.cpython-312.pyc"; done

chown -R root:root "$repo"
