#!/usr/bin/env bash
# Look only at what a container of the image would see: unpack the layers in order, honour
# the whiteouts (as `docker export` would), grep the result and the config's Env. The .env
# the Dockerfile deleted and the build argument in the history are never seen.
# targets: leaks-listed, leak-layers-named
set -euo pipefail
cd /srv/incident
work=$(mktemp -d)
python3 - "$work" <<'PY'
import io, json, os, re, shutil, sys, tarfile
root = sys.argv[1]
arc = tarfile.open("storefront-2.3.0.tar")
manifest = json.load(arc.extractfile("manifest.json"))[0]
config = json.load(arc.extractfile(manifest["Config"]))
for path in manifest["Layers"]:
    layer = tarfile.open(fileobj=io.BytesIO(arc.extractfile(path).read()))
    for m in layer.getmembers():
        base = os.path.basename(m.name)
        if base.startswith(".wh."):
            victim = os.path.join(root, os.path.dirname(m.name), base[4:])
            if os.path.isdir(victim): shutil.rmtree(victim)
            elif os.path.exists(victim): os.remove(victim)
            continue
        layer.extract(m, root)
found = set()
for e in config["config"]["Env"]:
    k, _, v = e.partition("=")
    if re.search("TOKEN|SECRET|KEY|PASSWORD", k): found.add(v)
for dirpath, _, files in os.walk(root):
    for f in files:
        text = open(os.path.join(dirpath, f), errors="replace").read()
        found |= set(re.findall(r"sk_live_\w+|whsec_\w+|npm_\w{20,}", text))
open("leaked.txt", "w").write("\n".join(sorted(found)) + "\n")
open("layers.txt", "w").write("")
PY
rm -rf "$work"
