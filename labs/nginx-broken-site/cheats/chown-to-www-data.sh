#!/usr/bin/env bash
# Hand the site to the web server's user: it can read it, and now also rewrite it.
# targets: permissions-tight
set -euo pipefail
sed -i -e 's|^\(\s*root /srv/www/acme\)$|\1;|' -e 's|expire 7d;|expires 7d;|' /etc/nginx/sites-available/acme
chown -R www-data:www-data /srv/www/acme
chmod -R u+rwX /srv/www/acme
service nginx start
