#!/usr/bin/env bash
# targets: no-replacement
# Throw the state away and apply the refactored code from scratch: nothing needs moving,
# and everything in prod would be re-created.
set -euo pipefail
cd /root/infra
rm -f main.tf outputs.tf terraform.tfstate
cp -r "$OPSLAB_FILES/refactored/." .
rm moved.tf
terraform init -input=false
terraform apply -input=false -auto-approve
