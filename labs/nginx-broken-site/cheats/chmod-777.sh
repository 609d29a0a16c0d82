#!/usr/bin/env bash
# The classic: fix the config, then make the site readable by opening it to everyone.
# targets: permissions-tight
set -euo pipefail
sed -i -e 's|^\(\s*root /srv/www/acme\)$|\1;|' -e 's|expire 7d;|expires 7d;|' /etc/nginx/sites-available/acme
chmod -R 777 /srv/www/acme
service nginx start
