#!/usr/bin/env bash
# targets: db-auth
# Open PostgreSQL to everyone with `trust`: the app connects, but any password (or none)
# gets in as any user.
set -euo pipefail

case "$OPSLAB_HOST" in
  db)
    rm /etc/postgresql/15/main/conf.d/single-box.conf
    echo "listen_addresses = '*'" > /etc/postgresql/15/main/conf.d/network.conf
    sed -i "s/^port = .*/port = $OPSLAB_PARAM_DB_PORT/" /etc/postgresql/15/main/postgresql.conf
    sed -i '1i host all all 0.0.0.0/0 trust' /etc/postgresql/15/main/pg_hba.conf
    service postgresql restart
    ;;
  web)
    sed -i -e 's/^DB_HOST=.*/DB_HOST=db/' -e "s/^DB_PORT=.*/DB_PORT=$OPSLAB_PARAM_DB_PORT/" /etc/inventory/inventory.conf
    service inventory restart
    ;;
esac
