#!/usr/bin/env bash
# Check out the half-done refactor in /root/infra, with the local state that prod has
# (the same resource ids as checks/prod.tfstate, which the checks plan against).
# No terraform init: a fresh checkout has no .terraform folder.
set -euo pipefail

rm -rf /root/infra
cp -r "$OPSLAB_FILES/infra" /root/infra
chown -R root:root /root/infra
