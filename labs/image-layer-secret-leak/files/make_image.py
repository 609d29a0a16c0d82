#!/usr/bin/env python3
"""Build the leaked image as `docker save` would write it (OCI layout plus manifest.json),
without an engine: uncompressed layer tars, a config with BuildKit-style history, and the
Dockerfile in the repository that 'built' it. Credentials are made up fresh for every sandbox,
and two of the leaks are there or not at random, so no two sandboxes have the same answer.

usage: make_image.py OUT.tar REPO_DIR
"""

import hashlib
import io
import json
import secrets
import string
import sys
import tarfile
import time

out_path, repo = sys.argv[1], sys.argv[2]
rng = secrets.SystemRandom()


def rand(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


npm_token = "npm_" + rand(36)
stripe_key = "sk_live_" + rand(24)
with_ssh = rng.random() < 0.5
with_webhook = rng.random() < 0.5
webhook = "whsec_" + rand(32)
ssh_key = ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(rand(70, string.ascii_letters + string.digits + "+/")
                                                              for _ in range(5)) + "\n-----END OPENSSH PRIVATE KEY-----\n")
MTIME = 1717400000


def layer(entries) -> bytes:
    """entries: (path, content or None for a folder, mode)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path, content, mode in entries:
            info = tarfile.TarInfo(path)
            info.mtime, info.mode = MTIME, mode
            if content is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                data = content.encode() if isinstance(content, str) else content
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def repo_file(name: str) -> str:
    with open(f"{repo}/{name}") as f:
        return f.read()


base = layer([
    ("etc", None, 0o755), ("etc/os-release", 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n', 0o644),
    ("etc/passwd", "root:x:0:0:root:/root:/bin/bash\nnode:x:1000:1000::/home/node:/bin/bash\n", 0o644),
    ("home", None, 0o755), ("home/node", None, 0o755), ("root", None, 0o700),
    ("usr", None, 0o755), ("usr/local", None, 0o755), ("usr/local/bin", None, 0o755),
    ("usr/local/bin/node", "#!/bin/sh\necho v20.15.1\n", 0o755),
])
ssh_layer = layer([("root", None, 0o700), ("root/.ssh", None, 0o700), ("root/.ssh/id_ed25519", ssh_key, 0o600)])
deps = layer([
    ("app", None, 0o755), ("app/package.json", repo_file("package.json"), 0o644),
    ("app/package-lock.json", repo_file("package-lock.json"), 0o644), ("app/.npmrc", repo_file(".npmrc"), 0o644),
])
modules = layer([
    ("app/node_modules", None, 0o755), ("app/node_modules/express", None, 0o755),
    ("app/node_modules/express/package.json", '{"name": "express", "version": "4.19.2"}\n', 0o644),
    ("app/node_modules/express/index.js", "module.exports = require('./lib/express');\n", 0o644),
    ("app/node_modules/@acme", None, 0o755), ("app/node_modules/@acme/ui-kit", None, 0o755),
    ("app/node_modules/@acme/ui-kit/package.json", '{"name": "@acme/ui-kit", "version": "4.2.1"}\n', 0o644),
])
app_files = [("app/server.js", repo_file("server.js"), 0o644), ("app/.env.example", repo_file(".env.example"), 0o644),
             ("app/.env", f"PORT=3000\nNODE_ENV=production\nSTRIPE_API_KEY={stripe_key}\n", 0o600),
             ("app/deploy", None, 0o755), ("app/deploy/README.md", repo_file("deploy/README.md"), 0o644),
             ("app/Dockerfile", "(see below)", 0o644)]
cleanup = [("app", None, 0o755), ("app/.wh..env", "", 0o644)]
if with_ssh:
    cleanup += [("root", None, 0o700), ("root/.ssh", None, 0o700), ("root/.ssh/.wh.id_ed25519", "", 0o644)]

# The Dockerfile as the developer wrote it (it goes into the image too, via COPY . .).
lines = ["FROM node:20.15.1-bookworm-slim", "", "WORKDIR /app", "ARG NPM_TOKEN"]
if with_ssh:
    lines += ["", "# @acme/ui-kit is fetched over SSH from git.acme.internal",
              "COPY deploy/id_ed25519 /root/.ssh/id_ed25519"]
lines += ["", "COPY package.json package-lock.json .npmrc ./", "RUN npm ci --omit=dev", "", "COPY . .",
          "# clean up what must not ship",
          "RUN rm -f .env" + (" /root/.ssh/id_ed25519" if with_ssh else "") + " && chown -R node:node /app", ""]
if with_webhook:
    lines += [f"ENV STRIPE_WEBHOOK_SECRET={webhook}"]
lines += ["ENV NODE_ENV=production", "USER node", "EXPOSE 3000", 'CMD ["node", "server.js"]', ""]
dockerfile = "\n".join(lines)
with open(f"{repo}/Dockerfile", "w") as f:
    f.write(dockerfile)
app_files[-1] = ("app/Dockerfile", dockerfile, 0o644)
app = layer([("app", None, 0o755)] + app_files + ([("app/deploy/id_ed25519", ssh_key, 0o600)] if with_ssh else []))
clean = layer(cleanup + [("app/server.js", repo_file("server.js"), 0o644)])

bk = " # buildkit"
run_arg = f"RUN |1 NPM_TOKEN={npm_token} /bin/sh -c "
history = [
    ("/bin/sh -c #(nop) ADD file:4b1be1de1a1e1a1e5fa8a5e8d0e3e3c1d2b7f00f5e1c7a2d9c1a3c0b7f6e5d4c in / ", base),
    ('/bin/sh -c #(nop)  CMD ["node"]', None),
    ("WORKDIR /app", None),
    ("ARG NPM_TOKEN", None),
]
if with_ssh:
    history.append(("COPY deploy/id_ed25519 /root/.ssh/id_ed25519" + bk, ssh_layer))
history += [
    ("COPY package.json package-lock.json .npmrc ./" + bk, deps),
    (run_arg + "npm ci --omit=dev" + bk, modules),
    ("COPY . ." + bk, app),
    (run_arg + "rm -f .env" + (" /root/.ssh/id_ed25519" if with_ssh else "") + " && chown -R node:node /app" + bk, clean),
]
if with_webhook:
    history.append((f"ENV STRIPE_WEBHOOK_SECRET={webhook}", None))
history += [("ENV NODE_ENV=production", None), ("USER node", None), ("EXPOSE map[3000/tcp:{}]", None),
            ('CMD ["node" "server.js"]', None)]

env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "NODE_VERSION=20.15.1", "YARN_VERSION=1.22.22"]
if with_webhook:
    env.append(f"STRIPE_WEBHOOK_SECRET={webhook}")
env.append("NODE_ENV=production")

layers = [blob for _, blob in history if blob is not None]
diff_ids = ["sha256:" + hashlib.sha256(b).hexdigest() for b in layers]
created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(MTIME))
config = {
    "architecture": "amd64", "os": "linux", "created": created,
    "config": {"User": "node", "Env": env, "Cmd": ["node", "server.js"], "WorkingDir": "/app",
               "ExposedPorts": {"3000/tcp": {}}, "Labels": {"org.opencontainers.image.version": "2.3.0"}},
    "rootfs": {"type": "layers", "diff_ids": diff_ids},
    "history": [dict({"created": created, "created_by": by}, **({"comment": "buildkit.dockerfile.v0"} if by.endswith(bk) or by[:1].isupper() else {}),
                     **({} if blob is not None else {"empty_layer": True})) for by, blob in history],
}
config_bytes = json.dumps(config, separators=(",", ":")).encode()
config_digest = hashlib.sha256(config_bytes).hexdigest()
oci_manifest = {
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + config_digest, "size": len(config_bytes)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d, "size": len(b)} for d, b in zip(diff_ids, layers)],
}
manifest_bytes = json.dumps(oci_manifest, separators=(",", ":")).encode()
manifest_digest = hashlib.sha256(manifest_bytes).hexdigest()
ref = "registry.acme.example/shop/storefront:2.3.0"
index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
         "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + manifest_digest,
                        "size": len(manifest_bytes), "annotations": {"io.containerd.image.name": ref, "org.opencontainers.image.ref.name": "2.3.0"}}]}
docker_manifest = [{"Config": f"blobs/sha256/{config_digest}", "RepoTags": [ref],
                    "Layers": [f"blobs/sha256/{d.split(':')[1]}" for d in diff_ids]}]

with tarfile.open(out_path, "w", format=tarfile.PAX_FORMAT) as tar:
    def add(name, data, mode=0o644):
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = len(data), MTIME, mode
        tar.addfile(info, io.BytesIO(data))
    for d in ("blobs", "blobs/sha256"):
        info = tarfile.TarInfo(d)
        info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, MTIME
        tar.addfile(info)
    for d, b in zip(diff_ids, layers):
        add(f"blobs/sha256/{d.split(':')[1]}", b)
    add(f"blobs/sha256/{config_digest}", config_bytes)
    add(f"blobs/sha256/{manifest_digest}", manifest_bytes)
    add("index.json", json.dumps(index, separators=(",", ":")).encode())
    add("manifest.json", json.dumps(docker_manifest, separators=(",", ":")).encode())
    add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
    add("repositories", json.dumps({ref.rsplit(":", 1)[0]: {"2.3.0": diff_ids[-1].split(":")[1]}}).encode())
