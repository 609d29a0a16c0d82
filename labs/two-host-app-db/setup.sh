#!/usr/bin/env bash
# db: PostgreSQL with the inventory database, still configured for the old single box.
# web: the inventory app, still pointing at the single box's local pgbouncer.
set -euo pipefail

case "$OPSLAB_HOST" in
  db)
    install -m 0644 -o postgres -g postgres "$OPSLAB_FILES/single-box.conf" \
      /etc/postgresql/15/main/conf.d/single-box.conf
    service postgresql start
    (cd / && runuser -u postgres -- psql -q -v ON_ERROR_STOP=1) < "$OPSLAB_FILES/schema.sql"
    ;;
  web)
    useradd --system --no-create-home --shell /usr/sbin/nologin inventory
    install -d /opt/inventory
    install -m 0755 "$OPSLAB_FILES/app.py" /opt/inventory/app.py
    install -d -m 0750 -g inventory /etc/inventory
    install -m 0640 -g inventory "$OPSLAB_FILES/inventory.conf" /etc/inventory/inventory.conf
    install -d -o inventory /var/log/inventory
    install -m 0755 "$OPSLAB_FILES/inventory.init" /etc/init.d/inventory
    service inventory start
    ;;
esac
