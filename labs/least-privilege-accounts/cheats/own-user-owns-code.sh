#!/usr/bin/env bash
# Hand the whole /opt/orders and /etc/default/orders to the new account "so it can manage
# itself": the service can now rewrite its own code and what root sources.
# targets: service-own-user
set -euo pipefail
u=$OPSLAB_PARAM_SERVICE_USER  # the account this attempt asks for
useradd --system --no-create-home --home-dir /var/lib/orders --shell /usr/sbin/nologin "$u"
chown -R "$u:$u" /var/lib/orders /var/log/orders /opt/orders
sed -i "s|--startas \\\$DAEMON -- \\\$SCRIPT|--chuid $u:$u --startas \$DAEMON -- \$SCRIPT|" /etc/init.d/orders
service orders restart >/dev/null
sleep 1
