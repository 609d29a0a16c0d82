#!/usr/bin/env bash
# Lock the password file, leave the repository readable: "without the password it is useless".
# targets: backups-private
set -euo pipefail
chmod 0600 /etc/backup/restic.pass
