#!/usr/bin/env bash
# The policy done right, except that a blank sample (the agent was down) counts as 0% use.
# targets: plan-safe, fleet-plan
set -euo pipefail
f=/srv/capacity/rightsize.py
install -m 0755 "$OPSLAB_FILES/solution/rightsize.py" "$f"
sed -i -e 's/            if r\["cpu_pct"\].strip():/            if True:/' \
       -e 's/            if r\["mem_pct"\].strip():/            if True:/' \
       -e 's/float(r\["cpu_pct"\])/float(r["cpu_pct"] or 0)/' -e 's/float(r\["mem_pct"\])/float(r["mem_pct"] or 0)/' "$f"
python3 "$f" --fleet /srv/capacity/fleet --prices /srv/capacity/prices.csv --out /root/plan.csv
