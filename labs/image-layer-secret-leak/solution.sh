#!/usr/bin/env bash
# Reference solution. Investigate the archive without an engine: every layer is a tar in
# blobs/sha256 named by its digest (= its diff_id, as the layers are not compressed); a file
# deleted by a later layer (.wh. whiteout) is still in the layer that added it; build
# arguments in scope of a RUN are in the config's history; ENV values are in the config.
# Then fix the Dockerfile: build secrets (and the SSH agent) as BuildKit mounts, no ENV.
set -euo pipefail
cd /srv/incident
python3 - <<'PY'
import io, json, re, tarfile
NAME = re.compile(r"(TOKEN|SECRET|KEY|PASSWORD)", re.I)
arc = tarfile.open("storefront-2.3.0.tar")
manifest = json.load(arc.extractfile("manifest.json"))[0]
config = json.load(arc.extractfile(manifest["Config"]))
found, layers = [], []
def keep(v):
    if v and "${" not in v and "replace_me" not in v and v not in found:
        found.append(v)
for h in config["history"]:
    for k, v in re.findall(r"\b([A-Z_]+)=(\S+)", h["created_by"]):
        if NAME.search(k):
            keep(v)
for e in config["config"]["Env"]:
    k, _, v = e.partition("=")
    if NAME.search(k):
        keep(v)
for path, diff_id in zip(manifest["Layers"], config["rootfs"]["diff_ids"]):
    layer = tarfile.open(fileobj=io.BytesIO(arc.extractfile(path).read()))
    leaky = False
    for m in layer.getmembers():
        if not m.isfile():
            continue
        text = layer.extractfile(m).read().decode(errors="replace")
        name = m.name.rsplit("/", 1)[-1]
        if "PRIVATE KEY-----" in text:
            keep("/" + m.name)
            leaky = True
        elif name == ".env":
            for k, v in re.findall(r"^([A-Z_]+)=(\S+)$", text, re.M):
                if NAME.search(k):
                    keep(v)
                    leaky = True
    if leaky:
        layers.append(diff_id)
open("leaked.txt", "w").write("\n".join(found) + "\n")
open("layers.txt", "w").write("\n".join(layers) + "\n")
PY
cat leaked.txt layers.txt

cd storefront
ssh=$(grep -q id_ed25519 Dockerfile && echo yes || echo no)
{
  echo '# syntax=docker/dockerfile:1'
  echo 'FROM node:20.15.1-bookworm-slim'
  echo
  echo 'WORKDIR /app'
  echo 'COPY package.json package-lock.json .npmrc ./'
  echo '# The registry token is a build secret: docker build --secret id=npm_token,env=NPM_TOKEN'
  if [ "$ssh" = yes ]; then
    echo '# @acme/ui-kit comes over SSH: docker build --ssh default (the agent, never a key file)'
    echo 'RUN --mount=type=secret,id=npm_token --mount=type=ssh \'
  else
    echo 'RUN --mount=type=secret,id=npm_token \'
  fi
  echo '    NPM_TOKEN="$(cat /run/secrets/npm_token)" npm ci --omit=dev'
  echo
  echo 'COPY . .'
  echo
  echo '# STRIPE_API_KEY and STRIPE_WEBHOOK_SECRET are given to the container at run time.'
  echo 'ENV NODE_ENV=production'
  echo 'USER node'
  echo 'EXPOSE 3000'
  echo 'CMD ["node", "server.js"]'
} > Dockerfile
cat > .dockerignore <<'IGNORE'
.git
node_modules
npm-debug.log
# credentials, wherever they are
**/.env
**/.env.*
!.env.example
**/id_rsa*
**/id_dsa*
**/id_ecdsa*
**/id_ed25519*
**/*.pem
**/*.key
IGNORE
