#!/usr/bin/env bash
# A correct parser that still finds a folder's files with glob(): fine for /srv/logs/edge-01,
# wrong for a folder whose name holds [ ] or *.
# targets: report-correct
set -euo pipefail
python3 - "$OPSLAB_FILES/logreport.solution" > /usr/local/bin/logreport <<'PY'
import sys
src = open(sys.argv[1]).read()
old = '''        return sorted(os.path.join(path, n) for n in os.listdir(path)
                      if n.startswith("access.log") and os.path.isfile(os.path.join(path, n)))'''
assert old in src
print(src.replace(old, '''        import glob
        return sorted(n for n in glob.glob(path + "/access.log*") if os.path.isfile(n))'''), end="")
PY
chmod 0755 /usr/local/bin/logreport
