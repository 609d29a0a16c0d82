"""Build opslab images: `opslab/base`, then every infra/images/<name>/Dockerfile.

Each image is labelled with a hash of what it was built from (its folder, and the ID of
the base it sits on); a build whose hash matches the image already in the engine is
skipped, so `opslab images build` only rebuilds what changed.
"""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import docker
import docker.errors

from infra.errors import InfraError
from infra.providers.base import BuildResult

IMAGES_DIR = Path(__file__).resolve().parent / "images"
BASE = "opslab/base"
BASE_PACKAGES = ["procps", "iproute2", "iputils-ping", "less", "nano", "vim-tiny", "curl",
                 "ca-certificates", "netcat-openbsd", "tini"]
HASH_LABEL = "opslab.build-hash"
DEFAULT_MIRROR = "http://deb.debian.org/debian"

Progress = Callable[[str], None]


def image_names() -> list[str]:
    """Every buildable image under infra/images (besides the base), as opslab/<name>."""
    return sorted(f"opslab/{d.name}" for d in IMAGES_DIR.iterdir()
                  if (d / "Dockerfile").is_file() and d.name != "base")


def _folder_hash(folder: Path, extra: str = "") -> str:
    h = hashlib.sha256(extra.encode())
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = f.relative_to(folder)
        if rel.parts[0] == "wheels" or "__pycache__" in rel.parts:
            continue
        h.update(rel.as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


def _current_hash(client: docker.DockerClient, tag: str) -> str | None:
    try:
        return (client.api.inspect_image(tag)["Config"].get("Labels") or {}).get(HASH_LABEL)
    except docker.errors.ImageNotFound:
        return None


def build_base(client: docker.DockerClient, progress: Progress, force: bool = False,
               pull: bool = False) -> BuildResult:
    """opslab/base from debian:bookworm-slim when the engine has (or may pull) it, else debootstrap."""
    import time

    mirror = os.environ.get("OPSLAB_APT_MIRROR", DEFAULT_MIRROR)
    recipe = _folder_hash(IMAGES_DIR / "base", ",".join(BASE_PACKAGES) + mirror)
    if not force and _current_hash(client, BASE) == recipe:
        progress(f"{BASE}: up to date")
        return BuildResult(BASE, False, 0.0)
    start = time.monotonic()
    slim = _have_slim(client, pull, progress)
    if slim:
        progress(f"{BASE}: building from debian:bookworm-slim")
        dockerfile = ("FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y "
                      f"--no-install-recommends {' '.join(BASE_PACKAGES)} && rm -rf /var/lib/apt/lists/*\n")
        _build(client, IMAGES_DIR / "base", BASE, {HASH_LABEL: recipe}, progress, dockerfile=dockerfile)
    else:
        progress(f"{BASE}: no debian:bookworm-slim in the engine; building with debootstrap (~1 min)")
        script = IMAGES_DIR / "base" / "debootstrap.sh"
        proc = subprocess.Popen(["bash", str(script), BASE, mirror, ",".join(BASE_PACKAGES),
                                 f"{HASH_LABEL}={recipe}"], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        tail = []
        for line in proc.stdout:
            tail = (tail + [line.rstrip()])[-20:]
            progress(f"{BASE}: {line.rstrip()}")
        if proc.wait() != 0:
            raise InfraError(f"building {BASE} with debootstrap failed:\n" + "\n".join(tail))
    return BuildResult(BASE, True, time.monotonic() - start)


def _have_slim(client: docker.DockerClient, pull: bool, progress: Progress) -> bool:
    try:
        client.api.inspect_image("debian:bookworm-slim")
        return True
    except docker.errors.ImageNotFound:
        pass
    if not pull:
        return False
    progress(f"{BASE}: pulling debian:bookworm-slim")
    try:
        client.images.pull("debian", tag="bookworm-slim")
        return True
    except docker.errors.APIError as e:
        progress(f"{BASE}: pull failed ({e.explanation or e}); falling back to debootstrap")
        return False


def fetch_wheels(folder: Path, progress: Progress, name: str) -> None:
    """Download the image's Python requirements on the host: HTTPS from inside builds may fail."""
    req = folder / "requirements.txt"
    if not req.is_file():
        return
    wheels = folder / "wheels"
    wheels.mkdir(exist_ok=True)
    progress(f"{name}: fetching Python wheels on the host ({req.name})")
    arch = platform.machine()
    cmd = [sys.executable, "-m", "pip", "download", "-q", "-r", str(req), "-d", str(wheels),
           "--only-binary=:all:", "--python-version", "3.11", "--implementation", "cp"]
    for tag in ("manylinux2014", "manylinux_2_28", "manylinux_2_31", "manylinux_2_34",
                "manylinux_2_35", "manylinux_2_36"):
        cmd += ["--platform", f"{tag}_{arch}"]
    proc = subprocess.run(cmd + ["--platform", "any"], capture_output=True, text=True)
    if proc.returncode != 0:
        raise InfraError(f"pip download for {name} failed:\n{proc.stderr.strip()[-2000:]}")


def build_image(client: docker.DockerClient, name: str, progress: Progress, force: bool = False,
                folder: Path | None = None) -> BuildResult:
    """Build opslab/<name> from its folder unless an image with the same build hash exists."""
    import time

    folder = folder or IMAGES_DIR / name.split("/", 1)[1]
    if not (folder / "Dockerfile").is_file():
        raise InfraError(f"no Dockerfile for {name} in {folder}")
    base_id = client.api.inspect_image(BASE)["Id"] if _current_hash(client, BASE) else ""
    digest = _folder_hash(folder, base_id)
    if not force and _current_hash(client, name) == digest:
        progress(f"{name}: up to date")
        return BuildResult(name, False, 0.0)
    start = time.monotonic()
    fetch_wheels(folder, progress, name)
    _build(client, folder, name, {HASH_LABEL: digest}, progress)
    return BuildResult(name, True, time.monotonic() - start)


def _build(client: docker.DockerClient, folder: Path, tag: str, labels: dict, progress: Progress,
           dockerfile: str | None = None) -> None:
    kwargs = {"path": str(folder)}
    if dockerfile is not None:
        import io
        kwargs = {"fileobj": io.BytesIO(dockerfile.encode())}
    tail: list[str] = []
    for chunk in client.api.build(tag=tag, labels=labels, rm=True, forcerm=True, pull=False,
                                  decode=True, **kwargs):
        if "stream" in chunk:
            for line in chunk["stream"].splitlines():
                if line.strip():
                    tail = (tail + [line])[-25:]
                    if line.startswith("Step ") or line.startswith("Successfully"):
                        progress(f"{tag}: {line}")
        if "error" in chunk:
            raise InfraError(f"building {tag} failed: {chunk['error'].strip()}\n" + "\n".join(tail))


def build_all(client: docker.DockerClient, progress: Progress, names: list[str] | None = None,
              force: bool = False, pull: bool = False) -> list[BuildResult]:
    """Build the base, then the named images (all of infra/images by default)."""
    results = [build_base(client, progress, force=force, pull=pull)]
    for name in (n for n in (names or image_names()) if n != BASE):
        results.append(build_image(client, name, progress, force=force))
    return results
