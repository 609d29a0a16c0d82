#!/usr/bin/env bash
# Reference solution: open PostgreSQL to the lab network, on the port this attempt was given
# (lab.yaml params: db_port), for the app user only, and point the app at db on that port.
set -euo pipefail

case "$OPSLAB_HOST" in
  db)
    # conf.d is read after postgresql.conf, so the single-box override wins until it goes.
    rm /etc/postgresql/15/main/conf.d/single-box.conf
    echo "listen_addresses = '*'" > /etc/postgresql/15/main/conf.d/network.conf
    sed -i "s/^port = .*/port = $OPSLAB_PARAM_DB_PORT/" /etc/postgresql/15/main/postgresql.conf
    # samenet: any address on a subnet this host is directly connected to (web's network).
    echo "host inventory inventory samenet scram-sha-256" >> /etc/postgresql/15/main/pg_hba.conf
    service postgresql restart
    ;;
  web)
    sed -i -e 's/^DB_HOST=.*/DB_HOST=db/' -e "s/^DB_PORT=.*/DB_PORT=$OPSLAB_PARAM_DB_PORT/" /etc/inventory/inventory.conf
    service inventory restart
    ;;
esac
