"""Checks for image-layer-secret-leak: the storefront 2.3.0 archive, the incident findings and
the fixed Dockerfile, judged on the grader's side.

The archive was made fresh for this sandbox (its credentials and which leaks it has are
random), so the check works out the truth from the archive itself, copied out through the
engine: it verifies the archive is the one setup wrote (every blob matches its digest, the
history has the build's shape, the leaked .env is still in its layer), then reads every
credential that anyone who pulls the image can recover. The Dockerfile and .dockerignore are
parsed here too, with the build context computed by moby's pattern rules on the candidate's
tree plus files the candidate never saw."""

from __future__ import annotations

import hashlib
import io
import json
import posixpath
import re
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

INCIDENT = "/srv/incident"
SECRET_NAME = re.compile(r"(TOKEN|SECRET|KEY|PASSWORD)", re.I)
SECRET_VALUE = re.compile(r"(sk|rk)_live_[A-Za-z0-9]{8,}|whsec_[A-Za-z0-9]{8,}|npm_[A-Za-z0-9]{20,}|PRIVATE KEY-----")
HIDDEN_FILES = {".env": "", ".env.production": "", "deploy/id_rsa": "", "deploy/keys/id_ed25519": "",
                "config/tls/storefront.pem": ""}
STEPS = ["ADD file:", "CMD [\"node\"]", "WORKDIR /app", "ARG NPM_TOKEN", "COPY package.json package-lock.json .npmrc ./",
         "npm ci --omit=dev", "COPY . .", "rm -f .env", "ENV NODE_ENV=production", "USER node"]


# --- the archive and the truth in it ----------------------------------------------------------

@dataclass
class Truth:
    ok: str                     # "" when the archive is intact, else what is wrong with it
    credentials: set = field(default_factory=set)   # values, and paths of key files
    keys: dict = field(default_factory=dict)        # key file content -> every path it has in the image
    layers: set = field(default_factory=set)        # diff_ids of layers holding a credential file
    ssh: bool = False


def _placeholder(v: str) -> bool:
    return not v or "${" in v or "replace_me" in v or v.startswith("sk_test_")


def read_archive(path: Path) -> Truth:
    if not path.is_file():
        return Truth("storefront-2.3.0.tar is gone from /srv/incident")
    try:
        arc = tarfile.open(path)
        manifest = json.load(arc.extractfile("manifest.json"))[0]
        blobs = {m.name: arc.extractfile(m).read() for m in arc.getmembers() if m.name.startswith("blobs/sha256/") and m.isfile()}
    except (tarfile.TarError, KeyError, ValueError, IndexError, AttributeError, TypeError):
        return Truth("storefront-2.3.0.tar is no longer a readable `docker save` archive")
    for name, data in blobs.items():
        if hashlib.sha256(data).hexdigest() != name.rsplit("/", 1)[-1]:
            return Truth(f"storefront-2.3.0.tar was altered: {name} does not match its digest")
    try:
        config = json.loads(blobs[manifest["Config"]])
        layer_blobs = [blobs[p] for p in manifest["Layers"]]
        diff_ids = config["rootfs"]["diff_ids"]
        history = [h["created_by"] for h in config["history"]]
        env = config["config"]["Env"]
    except (KeyError, ValueError, TypeError):
        return Truth("storefront-2.3.0.tar was altered: its manifest or config is incomplete")
    if ["sha256:" + hashlib.sha256(b).hexdigest() for b in layer_blobs] != diff_ids:
        return Truth("storefront-2.3.0.tar was altered: its layers do not match the config's diff_ids")
    missing = [s for s in STEPS if not any(s in h for h in history)]
    if missing:
        return Truth("storefront-2.3.0.tar was altered: its build history is not the one that was pushed")
    truth = Truth("")
    for h in history:
        for k, v in re.findall(r"\b([A-Z_]+)=(\S+)", h):
            if SECRET_NAME.search(k) and not _placeholder(v):
                truth.credentials.add(v)
    for e in env:
        k, _, v = e.partition("=")
        if SECRET_NAME.search(k) and not _placeholder(v):
            truth.credentials.add(v)
    env_file_seen = False
    for blob, diff_id in zip(layer_blobs, diff_ids, strict=False):
        try:
            layer = tarfile.open(fileobj=io.BytesIO(blob))
            members = [(m, layer.extractfile(m).read().decode(errors="replace")) for m in layer.getmembers() if m.isfile()]
        except (tarfile.TarError, AttributeError):
            return Truth("storefront-2.3.0.tar was altered: a layer is not a readable tar")
        for m, text in members:
            name = m.name.rsplit("/", 1)[-1]
            if "PRIVATE KEY-----" in text:
                truth.keys.setdefault(text.strip(), set()).add("/" + m.name.lstrip("./"))
                truth.layers.add(diff_id)
                truth.ssh = True
            elif name == ".env":
                for k, v in re.findall(r"^([A-Z_]+)=(\S+)$", text, re.M):
                    if SECRET_NAME.search(k) and not _placeholder(v):
                        truth.credentials.add(v)
                        truth.layers.add(diff_id)
                        env_file_seen = env_file_seen or v.startswith("sk_live_")
    truth.credentials |= {frozenset(paths) for paths in truth.keys.values()}
    if not env_file_seen or not any(isinstance(c, str) and c.startswith("npm_") for c in truth.credentials):
        return Truth("storefront-2.3.0.tar was altered: it no longer holds what was pushed")
    return truth


@pytest.fixture(scope="module")
def truth(copy_out) -> Truth:
    return read_archive(copy_out(f"{INCIDENT}/storefront-2.3.0.tar"))


def _answer_lines(copy_out, name: str) -> list[str] | None:
    try:
        path = copy_out(f"{INCIDENT}/{name}")
    except Exception:  # noqa: BLE001 - the engine says the file is not there
        return None
    if not path.is_file():
        return None
    return [ln.strip() for ln in path.read_text(errors="replace").splitlines() if ln.strip() and not ln.strip().startswith("#")]


def _matches(line: str, item) -> bool:
    """Does an answer line name this credential: a value (also as NAME=value), or one of the
    paths a key file has in the image (the same key copied twice is one credential)."""
    if isinstance(item, frozenset):
        return "/" + line.lstrip("/") in item
    return item in {line, line.split("=", 1)[-1].strip()}


@pytest.mark.task("leaks-listed")
@pytest.mark.task("leak-layers-named")
@pytest.mark.task("dockerfile-fixed")
def test_image_archive_is_the_one_that_was_pushed(truth):
    assert not truth.ok, truth.ok + ": the evidence must stay as it was"


# --- leaks-listed ------------------------------------------------------------------------------

@pytest.mark.task("leaks-listed")
def test_every_recoverable_credential_is_listed(truth, copy_out):
    lines = _answer_lines(copy_out, "leaked.txt")
    assert lines is not None, f"{INCIDENT}/leaked.txt is missing"
    missed = [c for c in truth.credentials if not any(_matches(ln, c) for ln in lines)]
    assert not missed, (f"leaked.txt misses {len(missed)} credential{'s' if len(missed) > 1 else ''} that anyone "
                        "who pulled the image can recover")


@pytest.mark.task("leaks-listed")
def test_nothing_outside_the_image_is_listed(truth, copy_out):
    lines = _answer_lines(copy_out, "leaked.txt") or []
    extra = [ln for ln in lines if not any(_matches(ln, c) for c in truth.credentials)]
    assert not extra, (f"leaked.txt lists {extra[0][:40]!r}, which cannot be recovered from the image: "
                       "list only what the image gives away, so nothing is rotated for nothing")


# --- leak-layers-named -------------------------------------------------------------------------

@pytest.mark.task("leak-layers-named")
def test_layers_holding_a_credential_are_named(truth, copy_out):
    lines = _answer_lines(copy_out, "layers.txt")
    assert lines is not None, f"{INCIDENT}/layers.txt is missing"
    named = {"sha256:" + ln.split("sha256:")[-1].split()[0].split("/")[-1] for ln in lines}
    assert truth.layers <= named, (f"layers.txt misses {len(truth.layers - named)} layer(s) that hold a credential "
                                   "file, deleted later or not")
    assert named <= truth.layers, "layers.txt names a layer that holds no credential file"


# --- dockerfile-fixed: a Dockerfile parser and moby's .dockerignore rules ------------------------

@dataclass
class Instr:
    keyword: str
    rest: str
    line: int
    flags: dict[str, str] = field(default_factory=dict)
    args: str = ""
    heredocs: list[str] = field(default_factory=list)

    def exec_form(self) -> list[str] | None:
        text = self.args.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                return None
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                return value
        return None


FLAGGED = {"COPY", "ADD", "RUN", "HEALTHCHECK", "FROM"}
HEREDOC = re.compile(r"<<(-?)\s*([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")


def parse_dockerfile(text: str) -> list[Instr]:
    lines = text.splitlines()
    escape = "\\"
    # Parser directives come first, before any comment, blank line or instruction.
    for raw in lines:
        m = re.match(r"^#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$", raw)
        if not m:
            break
        if m.group(1).lower() == "escape" and m.group(2) in ("`", "\\"):
            escape = m.group(2)
    out: list[Instr] = []
    i = 0
    while i < len(lines):
        raw = lines[i]
        start = i + 1
        i += 1
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        text_ = raw
        while text_.rstrip().endswith(escape):
            text_ = text_.rstrip()[:-1]
            while i < len(lines) and lines[i].lstrip().startswith("#"):
                i += 1  # comment lines inside a continuation are dropped
            if i >= len(lines):
                break
            text_ += " " + lines[i].strip() if lines[i].strip() else ""
            i += 1
        parts = text_.strip().split(None, 1)
        ins = Instr(parts[0].upper(), parts[1] if len(parts) > 1 else "", start)
        args = ins.rest
        if ins.keyword in FLAGGED:
            while True:
                m = re.match(r"^--([a-zA-Z-]+)(?:=(\S*))?\s*", args)
                if not m:
                    break
                ins.flags[m.group(1).lower()] = m.group(2) or ""
                args = args[m.end():]
        ins.args = args
        if ins.keyword in ("RUN", "COPY", "ADD"):
            for dash, _, word in HEREDOC.findall(args):
                body = []
                while i < len(lines):
                    ln = lines[i]
                    i += 1
                    if (ln.lstrip("\t") if dash else ln) == word:
                        break
                    body.append(ln)
                ins.heredocs.append("\n".join(body))
        out.append(ins)
    return out



def ignore_patterns(text: str) -> list[tuple[re.Pattern, bool]]:
    pats = []
    for raw in text.splitlines():
        p = raw.strip()
        if not p or p.startswith("#"):
            continue
        exclusion = p.startswith("!")
        if exclusion:
            p = p[1:].strip()
        p = posixpath.normpath(p).lstrip("/")
        if p in ("", "."):
            continue
        pats.append((re.compile(_pattern_regex(p)), exclusion))
    return pats


def _pattern_regex(p: str) -> str:
    rx, i = "^", 0
    while i < len(p):
        c = p[i]
        if c == "*":
            if p[i + 1:i + 2] == "*":
                i += 1
                if p[i + 1:i + 2] == "/":
                    i += 1
                rx += ".*" if i + 1 >= len(p) else "(.*/)?"
            else:
                rx += "[^/]*"
        elif c == "?":
            rx += "[^/]"
        elif c == "\\" and i + 1 < len(p):
            i += 1
            rx += re.escape(p[i])
        elif c == "[":
            j = p.find("]", i + 1)
            if j == -1:
                rx += re.escape(c)
            else:
                cls = p[i + 1:j]
                rx += "[" + ("^" + cls[1:] if cls.startswith("^") else cls) + "]"
                i = j
        else:
            rx += re.escape(c)
        i += 1
    return rx + "$"


def ignored(path: str, pats) -> bool:
    """moby's MatchesOrParentMatches: the last pattern that matches the path or one of its
    parent folders decides."""
    parents = path.split("/")[:-1]
    matched = False
    for rx, exclusion in pats:
        hit = bool(rx.match(path)) or any(rx.match("/".join(parents[:k + 1])) for k in range(len(parents)))
        if hit:
            matched = not exclusion
    return matched



def context_files(repo: Path) -> set[str]:
    files = {p.relative_to(repo).as_posix() for p in repo.rglob("*") if p.is_file() or p.is_symlink()}
    files |= set(HIDDEN_FILES)
    ign = repo / ".dockerignore"
    pats = ignore_patterns(ign.read_text(errors="replace")) if ign.is_file() else []
    return {f for f in files if not ignored(f, pats)}


@pytest.fixture(scope="module")
def repo(copy_out) -> Path:
    return copy_out(f"{INCIDENT}/storefront")


@pytest.fixture(scope="module")
def instrs(repo) -> list[Instr]:
    path = repo / "Dockerfile"
    return parse_dockerfile(path.read_text(errors="replace")) if path.is_file() else []


def _npm_ci(instrs) -> Instr | None:
    return next((i for i in instrs if i.keyword == "RUN" and re.search(r"\bnpm\s+(ci|install)\b", i.args)), None)


def _mounts(ins: Instr) -> list[str]:
    return re.findall(r"--mount=(\S+)", ins.rest)


@pytest.mark.task("dockerfile-fixed")
def test_dockerfile_still_builds_the_storefront(instrs):
    assert instrs, f"{INCIDENT}/storefront/Dockerfile is missing or empty"
    froms = [i for i in instrs if i.keyword == "FROM"]
    assert froms and froms[-1].args.split()[0].startswith("node:20"), "the image no longer starts from node:20"
    npm = _npm_ci(instrs)
    assert npm, "no RUN installs the dependencies with npm ci"
    before = instrs[:instrs.index(npm)]
    assert any(i.keyword == "COPY" and "package" in i.args and ".npmrc" in i.args for i in before), (
        "npm ci runs before package.json, package-lock.json and .npmrc are copied in")
    assert any(i.keyword == "COPY" and i.args.split()[:1] == ["."] for i in instrs[instrs.index(npm):]), (
        "the application (COPY . .) is no longer copied after the dependencies")
    cmds = [i for i in instrs if i.keyword == "CMD"]
    assert cmds and "server.js" in cmds[-1].args, "the container no longer starts `node server.js`"
    users = [i for i in instrs if i.keyword == "USER"]
    assert users and users[-1].args.strip() == "node", "the container no longer runs as the node user"


@pytest.mark.task("dockerfile-fixed")
def test_no_credential_goes_through_build_args_or_env(instrs, truth):
    for ins in instrs:
        text = ins.rest + " " + " ".join(ins.heredocs)
        assert not SECRET_VALUE.search(text) and not any(c in text for c in truth.credentials if isinstance(c, str)), (
            f"line {ins.line} of the Dockerfile holds a credential")
        if ins.keyword in ("ARG", "ENV"):
            for word in ins.args.split():
                name = word.split("=", 1)[0]
                assert not SECRET_NAME.search(name), (
                    f"line {ins.line}: {ins.keyword} {name} puts a credential into the image or its history")


@pytest.mark.task("dockerfile-fixed")
def test_npm_gets_its_credentials_as_build_secrets(instrs, truth):
    npm = _npm_ci(instrs)
    assert npm, "no RUN installs the dependencies with npm ci"
    mounts = _mounts(npm)
    assert any("type=secret" in m for m in mounts), (
        "npm ci does not get the registry token as a build secret (a RUN mount that never lands in a layer)")
    copies = [i for i in instrs if i.keyword in ("COPY", "ADD") and re.search(r"id_(rsa|dsa|ecdsa|ed25519)|\.ssh", i.args)]
    assert not copies, f"line {copies[0].line} copies an SSH key into the image" if copies else ""
    if truth.ssh:
        assert any("type=ssh" in m for m in mounts), (
            "npm ci needs SSH for @acme/ui-kit: give it the build's SSH agent, not a key file")


@pytest.mark.task("dockerfile-fixed")
def test_build_context_holds_no_credentials(repo):
    ctx = context_files(repo)
    bad = sorted(f for f in ctx if posixpath.basename(f) == ".env" or posixpath.basename(f).startswith(".env.") and not f.endswith(".example")
                 or re.fullmatch(r"id_(rsa|dsa|ecdsa|ed25519)", posixpath.basename(f)) or f.endswith((".pem", ".key")))
    assert not bad, ("the build context would send " + (f"{bad[0]}" if bad[0] not in HIDDEN_FILES else "an env file or key that a teammate could add")
                     + (f" and {len(bad) - 1} more" if len(bad) > 1 else "") + "; exclude such files by kind, wherever they are")
