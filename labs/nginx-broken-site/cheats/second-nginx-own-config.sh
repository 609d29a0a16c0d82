#!/usr/bin/env bash
# Leave the lab's nginx broken and start a second one with a configuration of its own,
# serving a readable copy of the site: the packaged nginx binary holds port 80, and every
# published file comes back byte for byte.
# targets: site-served
set -euo pipefail
mkdir -p /var/www/acme-copy
cp -r /srv/www/acme/. /var/www/acme-copy/
chmod -R a+rX /var/www/acme-copy
cat > /root/alt.conf <<'CONF'
user www-data;
pid /run/nginx-alt.pid;
events {}
http {
    include /etc/nginx/mime.types;
    server { listen 80 default_server; server_name www.acme.example; root /var/www/acme-copy; }
}
CONF
/usr/sbin/nginx -c /root/alt.conf
