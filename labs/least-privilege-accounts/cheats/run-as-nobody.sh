#!/usr/bin/env bash
# Run ordersd as nobody and open its folders to everyone so it can write.
# targets: service-own-user
set -euo pipefail
chmod 0777 /var/lib/orders /var/log/orders
chmod 0666 /var/lib/orders/orders.jsonl /var/log/orders/orders.log
sed -i 's|--startas \$DAEMON -- \$SCRIPT|--chuid nobody:nogroup --startas $DAEMON -- $SCRIPT|' /etc/init.d/orders
service orders restart >/dev/null
sleep 1
