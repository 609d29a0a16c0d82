#!/bin/bash
# Build the release artifact: the app, stamped with the commit it was built from.
set -euo pipefail
rm -rf dist && mkdir dist
git rev-parse --short HEAD > REVISION
tar -czf dist/shop.tar.gz app REVISION
echo "built dist/shop.tar.gz for $(cat REVISION)"
