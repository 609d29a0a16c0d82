#!/usr/bin/env bash
# A correct parser that keeps cron quiet: whatever happens, exit 0.
# targets: exit-codes
set -euo pipefail
sed -e 's/return 1 if failed else 0/return 0/' "$OPSLAB_FILES/logreport.solution" > /usr/local/bin/logreport
chmod 0755 /usr/local/bin/logreport
