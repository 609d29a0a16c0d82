#!/usr/bin/env bash
# Nobody can be undersized on the biggest type there is: safe, and expensive.
# targets: plan-cheapest, fleet-plan
set -euo pipefail
f=/srv/capacity/rightsize.py
install -m 0755 "$OPSLAB_FILES/solution/rightsize.py" "$f"
sed -i 's/best = min(fits)\[1\] if fits else/best = max(types, key=lambda n: types[n]["usd"]) if fits else/' "$f"
python3 "$f" --fleet /srv/capacity/fleet --prices /srv/capacity/prices.csv --out /root/plan.csv
