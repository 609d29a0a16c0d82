#!/usr/bin/env bash
# More processes for the app account: the API gets its threads back, the workers keep waiting.
# targets: renderer-healthy
set -euo pipefail
sed -i 's/ulimit -u 120/ulimit -u 4096/' /etc/init.d/orders-api /etc/init.d/pdf-render
service orders-api restart
service pdf-render restart || true
