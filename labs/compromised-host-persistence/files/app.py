#!/usr/bin/python3
"""billing-api: Acme's invoice service (a stand-in: health and one read endpoint)."""
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

INVOICES = {"INV-2025-1001": {"customer": "C2231", "amount_eur": 129.90, "status": "paid"},
            "INV-2025-1002": {"customer": "C1009", "amount_eur": 15.00, "status": "open"}}


class Handler(BaseHTTPRequestHandler):
    def _send(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/health":
            self._send(200, {"service": "billing-api", "status": "ok", "pid": os.getpid()})
        elif self.path.startswith("/invoices/") and self.path[10:] in INVOICES:
            self._send(200, INVOICES[self.path[10:]])
        else:
            self._send(404, {"error": "not found"})

    def log_message(self, fmt, *args):
        with open("/var/log/billing/access.log", "a") as f:
            f.write("%s - %s\n" % (self.address_string(), fmt % args))


ThreadingHTTPServer(("0.0.0.0", 8080), Handler).serve_forever()
