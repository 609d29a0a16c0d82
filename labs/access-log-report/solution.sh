#!/usr/bin/env bash
# Reference solution: logreport rewritten to the specification (files/logreport.solution):
# a regular expression for the whole line instead of split(), bytes read in binary (bad
# UTF-8 cannot crash it), gzip for .gz, a folder listed with os.listdir (no glob: folder
# names may hold [ ] * ?), top paths by count then path, nearest-rank p95, exit 1 with the
# report of the rest when a path cannot be read, and --top checked (argparse exits 2).
set -euo pipefail
install -m 0755 "$OPSLAB_FILES/logreport.solution" /usr/local/bin/logreport
su -s /bin/sh reports -c '/usr/local/bin/logreport /srv/logs/edge-01' | diff - /srv/logs/edge-01.expected.json
