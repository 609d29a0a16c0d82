#!/usr/bin/env bash
# The exact sudo rule, but /etc/default/orders, which the init script sources as root, stays
# writable by deploy: a line in it runs as root on the next restart.
# targets: deploy-scoped
set -euo pipefail
install -m 0440 /dev/stdin /etc/sudoers.d/deploy <<'SUDO'
deploy ALL=(root) NOPASSWD: /usr/sbin/service orders restart, /usr/bin/tail -n 200 /var/log/orders/orders.log
SUDO
