#!/usr/bin/env bash
# Break the company site the way a hurried deploy would: a new site config with two
# mistakes in it, and content published private to its owner, unreadable by nginx's workers.
set -euo pipefail

id deploy >/dev/null 2>&1 || useradd --create-home --shell /bin/bash deploy

# The site as `deploy` published it with umask 027 (and a stylesheet copied from a 0600 file).
rm -rf /srv/www/acme
install -d -m 0755 /srv/www
cp -r "$OPSLAB_FILES/site" /srv/www/acme
chown -R deploy:deploy /srv/www/acme
find /srv/www/acme -type d -exec chmod 0750 {} +
find /srv/www/acme -type f -exec chmod 0640 {} +
chmod 0600 /srv/www/acme/css/site.css

# The new site config replaces Debian's default site.
install -m 0644 "$OPSLAB_FILES/acme.conf" /etc/nginx/sites-available/acme
ln -sfn ../sites-available/acme /etc/nginx/sites-enabled/acme
rm -f /etc/nginx/sites-enabled/default

# The colleague's last attempt to start nginx; it fails and leaves its complaint in the log.
service nginx start >/dev/null 2>&1 || true
