#!/usr/bin/env bash
# targets: no-replacement
# The refactor with replicas left as a string (an in-place change in prod), hidden from
# the plan with ignore_changes instead of fixing the type.
set -euo pipefail
cd /root/infra
rm -f main.tf outputs.tf
cp -r "$OPSLAB_FILES/refactored/." .
sed -i '/variable "replicas"/,/^}/s/type        = number/type        = string/' modules/service/variables.tf
sed -i '/resource "terraform_data" "deployment"/a\  lifecycle {\n    ignore_changes = all\n  }\n' modules/service/main.tf
terraform fmt -recursive
terraform init -input=false
terraform apply -input=false -auto-approve
