#!/usr/bin/env bash
# The capacity team's folder: last week's utilisation of the fleet, the price list, and the
# right-sizing script that has been recommending nonsense.
set -euo pipefail
install -d -m 0755 /srv/capacity/fleet
install -m 0644 "$OPSLAB_FILES/fleet/instances.csv" /srv/capacity/fleet/instances.csv
gunzip -c "$OPSLAB_FILES/fleet/utilisation.csv.gz" > /srv/capacity/fleet/utilisation.csv
install -m 0644 "$OPSLAB_FILES/fleet/prices.csv" /srv/capacity/prices.csv
install -m 0755 "$OPSLAB_FILES/rightsize.py" /srv/capacity/rightsize.py
# Last quarter's plan, made with the script as it is.
python3 /srv/capacity/rightsize.py --fleet /srv/capacity/fleet --prices /srv/capacity/prices.csv \
    --out /srv/capacity/plan-last-quarter.csv
