#!/usr/bin/env bash
# Make `nginx -t` pass by disabling the broken site, and put a page of one's own up instead.
# targets: config-valid, site-served
set -euo pipefail
rm -f /etc/nginx/sites-enabled/acme
ln -s ../sites-available/default /etc/nginx/sites-enabled/default
echo '<h1>Acme Anvils</h1>' > /var/www/html/index.html
service nginx start
