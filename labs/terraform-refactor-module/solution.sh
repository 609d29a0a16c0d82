#!/usr/bin/env bash
# Reference solution (the finished files are in files/refactored/):
# - modules/service declares every input it is given, with the types the state holds
#   (replicas and port are numbers: a string "3" would be an in-place change), creates
#   the DNS record only for public services (count), and outputs its URL;
# - the root feeds it from a typed var.services map holding what the copies held, drops
#   the copies and records where each went in moved.tf (kept: CI applies it to prod);
# - service_urls collects the URL of the public services.
set -euo pipefail
cd /root/infra

rm -f main.tf outputs.tf
cp -r "$OPSLAB_FILES/refactored/." .

terraform fmt -check -recursive
terraform init -input=false
terraform validate
# Apply the moves to the local state too: a plan shows "has moved to", nothing else.
terraform apply -input=false -auto-approve
