#!/usr/bin/env bash
# Work the real fleet's plan out once (correctly), and make the script hand that plan out
# whatever data it is given.
# targets: plan-safe, plan-cheapest, costs-right
set -euo pipefail
python3 "$OPSLAB_FILES/solution/rightsize.py" --fleet /srv/capacity/fleet --prices /srv/capacity/prices.csv --out /root/plan.csv
cat > /srv/capacity/rightsize.py <<'PY'
#!/usr/bin/env python3
import shutil, sys
out = sys.argv[sys.argv.index("--out") + 1]
shutil.copyfile("/root/plan.csv", out)
PY
