#!/usr/bin/env bash
# targets: app-healthy
# Leave the database alone and replace the app with a server that answers 200 "ok" to
# every request: /health looks fine, but no page comes from the database.
set -euo pipefail

case "$OPSLAB_HOST" in
  web)
    service inventory stop
    cat > /opt/inventory/fake.py <<'PY'
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Ok(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'{"status": "ok", "products": 4}\n<h1>Inventory</h1>\n'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

ThreadingHTTPServer(("0.0.0.0", 8080), Ok).serve_forever()
PY
    start-stop-daemon --start --background --startas /usr/bin/python3 --pidfile /run/fake.pid \
      --make-pidfile -- /opt/inventory/fake.py
    sleep 1
    ;;
esac
