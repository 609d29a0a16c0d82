#!/usr/bin/env bash
# Sidestep the permissions by pointing nginx at a fresh, readable folder with a stand-in page.
# targets: site-served
set -euo pipefail
mkdir -p /var/www/acme
echo '<h1>Acme Anvils</h1><p>Back soon.</p>' > /var/www/acme/index.html
sed -i -e 's|^\(\s*\)root /srv/www/acme$|\1root /var/www/acme;|' -e 's|expire 7d;|expires 7d;|' /etc/nginx/sites-available/acme
service nginx start
