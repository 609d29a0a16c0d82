#!/usr/bin/env python3
"""inventory: a small web front end for the products table.

GET /        the product list (HTML), read from PostgreSQL on every request
GET /health  200 {"status": "ok", ...} when the database answers, 503 otherwise

Settings come from /etc/inventory/inventory.conf (KEY=VALUE), read once at start.
"""
import html
import json
import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg2

CONFIG = "/etc/inventory/inventory.conf"
log = logging.getLogger("inventory")


def load_config(path=CONFIG):
    conf = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, _, value = line.partition("=")
                conf[key.strip()] = value.strip().strip('"')
    return conf


CONF = load_config()


def query(sql):
    conn = psycopg2.connect(host=CONF["DB_HOST"], port=int(CONF["DB_PORT"]), dbname=CONF["DB_NAME"],
                            user=CONF["DB_USER"], password=CONF["DB_PASSWORD"], connect_timeout=3,
                            application_name="inventory")
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        conn.close()


class Handler(BaseHTTPRequestHandler):
    server_version = "inventory/1.4"

    def send(self, code, body, ctype):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/health":
            try:
                (count,), = query("SELECT count(*) FROM products")
            except Exception as e:
                log.error("health: database unavailable: %s", str(e).strip())
                return self.send(503, json.dumps({"status": "error", "error": "database unavailable"}) + "\n",
                                 "application/json")
            db = f"{CONF['DB_HOST']}:{CONF['DB_PORT']}/{CONF['DB_NAME']}"
            return self.send(200, json.dumps({"status": "ok", "database": db, "products": count}) + "\n",
                             "application/json")
        if self.path == "/":
            try:
                rows = query("SELECT sku, name, qty FROM products ORDER BY sku")
            except Exception as e:
                log.error("index: database unavailable: %s", str(e).strip())
                return self.send(503, "<h1>Inventory is unavailable</h1>\n", "text/html; charset=utf-8")
            cells = "".join(f"<tr><td>{html.escape(s)}</td><td>{html.escape(n)}</td><td>{q}</td></tr>\n"
                            for s, n, q in rows)
            page = (f"<h1>Inventory</h1>\n<table>\n<tr><th>SKU</th><th>Name</th><th>Qty</th></tr>\n"
                    f"{cells}</table>\n")
            return self.send(200, page, "text/html; charset=utf-8")
        self.send(404, "not found\n", "text/plain")

    def log_message(self, fmt, *args):
        log.info("%s %s", self.address_string(), fmt % args)


def main():
    logging.basicConfig(filename="/var/log/inventory/app.log", level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s")
    port = int(CONF.get("LISTEN_PORT", "8080"))
    log.info("starting on :%d, database %s:%s", port, CONF["DB_HOST"], CONF["DB_PORT"])
    ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
