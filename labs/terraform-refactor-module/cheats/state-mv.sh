#!/usr/bin/env bash
# targets: no-replacement
# The refactor without moved blocks, moving the resources with `terraform state mv`:
# the local state looks right, but prod's state would be destroyed and re-created.
set -euo pipefail
cd /root/infra
rm -f main.tf outputs.tf
cp -r "$OPSLAB_FILES/refactored/." .
rm moved.tf
terraform init -input=false
for svc in web api worker; do
  terraform state mv "terraform_data.$svc" "module.service[\"$svc\"].terraform_data.deployment"
done
for svc in web api; do
  terraform state mv "terraform_data.${svc}_dns" "module.service[\"$svc\"].terraform_data.dns[0]"
done
terraform apply -input=false -auto-approve
