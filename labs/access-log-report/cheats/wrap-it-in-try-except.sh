#!/usr/bin/env bash
# The quick patch: decode with errors="replace", count any line that raises as bad, never
# crash, always exit 0. Still split() on spaces and glob() for folders.
# targets: messy-input, exit-codes
set -euo pipefail
cat > /usr/local/bin/logreport <<'PY'
#!/usr/bin/python3
import argparse, glob, gzip, json, os, sys

def files_of(path):
    if os.path.isdir(path):
        return sorted(glob.glob(path + "/access.log*"))
    return [path]

ap = argparse.ArgumentParser(prog="logreport")
ap.add_argument("--top", type=int, default=5)
ap.add_argument("paths", nargs="+")
args = ap.parse_args()
report = {"files": 0, "requests": 0, "bad_lines": 0, "bytes": 0,
          "status": {"2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0}, "top_paths": [], "p95_request_time": None}
paths, times = {}, []
for p in args.paths:
    for name in files_of(p):
        try:
            opener = gzip.open if name.endswith(".gz") else open
            with opener(name, "rt", errors="replace") as f:
                lines = f.read().splitlines()
        except Exception as e:
            print(f"warning: {name}: {e}", file=sys.stderr)
            continue
        report["files"] += 1
        for line in lines:
            if not line:
                continue
            try:
                parts = line.split()
                status = parts[8]
                b = 0 if parts[9] == "-" else int(parts[9])
                t = float(parts[-1])
                report["status"][status[0] + "xx"] += 1
            except Exception:
                report["bad_lines"] += 1
                continue
            report["requests"] += 1
            report["bytes"] += b
            path = parts[6].split("?")[0]
            paths[path] = paths.get(path, 0) + 1
            times.append(t)
top = sorted(paths.items(), key=lambda kv: (-kv[1], kv[0]))[:args.top]
report["top_paths"] = [[p, n] for p, n in top]
times.sort()
if times:
    report["p95_request_time"] = times[min(len(times) - 1, int(len(times) * 0.95))]
print(json.dumps(report, indent=2))
PY
chmod 0755 /usr/local/bin/logreport
