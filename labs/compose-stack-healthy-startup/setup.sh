#!/usr/bin/env bash
# The orders stack's compose file as it was left: a YAML error in depends_on, no health
# checks on the data stores and a wrong one on the API, nobody waiting for anybody, every
# port published, the database on the proxy's network and its data in /tmp, the password
# written inline (twice) and the API pointed at a host name that no service has. The team's
# local .env holds the password; it is made up here, fresh for every sandbox.
set -euo pipefail

dir=/srv/orders
rm -rf "$dir"
cp -a "$OPSLAB_FILES/orders" "$dir"
cd "$dir"
mv gitignore .gitignore
mv env.example .env.example
pw=$(python3 -c 'import secrets, string; print("".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(20)))')
sed -i "s/@DB_PASSWORD@/$pw/g" docker-compose.yml
printf 'POSTGRES_PASSWORD=%s\n' "$pw" > .env
chmod 0600 .env
chown -R root:root "$dir"
