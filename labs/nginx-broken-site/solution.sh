#!/usr/bin/env bash
# Reference solution: fix the two config mistakes, make the site readable (not writable) by
# everyone else, keep deploy as the owner, then start nginx once `nginx -t` is happy.
set -euo pipefail

conf=/etc/nginx/sites-available/acme
sed -i -e 's|^\(\s*root /srv/www/acme\)$|\1;|' -e 's|^\(\s*\)expire 7d;|\1expires 7d;|' "$conf"

find /srv/www/acme -type d -exec chmod 0755 {} +
find /srv/www/acme -type f -exec chmod 0644 {} +

nginx -t
service nginx start
