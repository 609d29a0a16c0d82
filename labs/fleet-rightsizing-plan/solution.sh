#!/usr/bin/env bash
# Reference solution: rewrite the script to follow the policy. Need = p95 (not the mean) of
# CPU *and* memory, over the samples that exist (a blank is a missing sample, not 0% use),
# times 1.25; recommend the cheapest type in the whole table that covers both (any family,
# bigger than today's when the instance is undersized); a month is 730 hours.
set -euo pipefail
install -m 0755 "$OPSLAB_FILES/solution/rightsize.py" /srv/capacity/rightsize.py   # read it: files/solution/
python3 /srv/capacity/rightsize.py --fleet /srv/capacity/fleet --prices /srv/capacity/prices.csv --out /root/plan.csv
awk -F, 'NR > 1 { cur += $4; rec += $5 } END { printf "monthly: %.2f -> %.2f USD\n", cur, rec }' /root/plan.csv
