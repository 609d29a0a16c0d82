#!/usr/bin/env python3
"""ordersd - Acme's order intake (a stand-in service for this lab).

POST /orders with a JSON object that has an "id" stores it (one line in orders.jsonl);
GET /orders lists them, DELETE /orders/<id> removes one, GET /health says how it is doing.
It writes only its data folder and its log.
"""
import http.server
import json
import os
import pwd
import time

DATA = "/var/lib/orders/orders.jsonl"
LOG = "/var/log/orders/orders.log"
PORT = int(os.environ.get("ORDERS_PORT", "8080"))
log_file = open(LOG, "a", buffering=1)


def log(msg):
    log_file.write(time.strftime("%Y-%m-%dT%H:%M:%SZ ", time.gmtime()) + msg + "\n")


def load():
    try:
        with open(DATA) as f:
            return [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []


class Handler(http.server.BaseHTTPRequestHandler):
    def reply(self, code, body):
        data = (json.dumps(body) + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/health":
            self.reply(200, {"status": "ok", "user": pwd.getpwuid(os.geteuid()).pw_name, "pid": os.getpid()})
        elif self.path == "/orders":
            self.reply(200, load())
        else:
            self.reply(404, {"error": "not found"})

    def do_POST(self):
        if self.path != "/orders":
            return self.reply(404, {"error": "not found"})
        try:
            order = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            assert isinstance(order, dict) and isinstance(order.get("id"), str)
        except Exception:
            return self.reply(400, {"error": "an order is a JSON object with an id"})
        with open(DATA, "a") as f:
            f.write(json.dumps(order) + "\n")
        log(f"order {order['id']} stored")
        self.reply(201, {"stored": order["id"]})

    def do_DELETE(self):
        oid = self.path.removeprefix("/orders/")
        orders = load()
        kept = [o for o in orders if o.get("id") != oid]
        if len(kept) == len(orders):
            return self.reply(404, {"error": "no such order"})
        with open(DATA + ".new", "w") as f:
            f.writelines(json.dumps(o) + "\n" for o in kept)
        os.replace(DATA + ".new", DATA)
        log(f"order {oid} deleted")
        self.reply(200, {"deleted": oid})

    def log_message(self, fmt, *args):
        log("%s %s" % (self.address_string(), fmt % args))


log(f"ordersd {os.getpid()} starting on :{PORT} as {pwd.getpwuid(os.geteuid()).pw_name}")
http.server.ThreadingHTTPServer(("0.0.0.0", PORT), Handler).serve_forever()
