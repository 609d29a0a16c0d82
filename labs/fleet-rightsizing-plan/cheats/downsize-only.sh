#!/usr/bin/env bash
# A right-sizing that only ever saves money: an instance that needs a bigger type keeps
# the one it has.
# targets: plan-safe, fleet-plan
set -euo pipefail
f=/srv/capacity/rightsize.py
install -m 0755 "$OPSLAB_FILES/solution/rightsize.py" "$f"
sed -i 's/^            w.writerow(\[iid, current, best,/            best = best if types[best]["usd"] <= cur["usd"] else current\n            w.writerow([iid, current, best,/' "$f"
python3 "$f" --fleet /srv/capacity/fleet --prices /srv/capacity/prices.csv --out /root/plan.csv
