#!/usr/bin/env bash
# The one-line fix: add strict mode to the old script and call it safe.
# targets: packs-any-name
set -euo pipefail
sed -i '1a set -euo pipefail' /usr/local/bin/pack-exports
