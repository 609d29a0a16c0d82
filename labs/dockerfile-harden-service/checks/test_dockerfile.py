"""Checks for dockerfile-harden-service: the billing API's Dockerfile and .dockerignore, judged
on the grader's side. There is no Docker engine in a sandbox, so the check reads the repository
the candidate left (copied out through the engine), parses the Dockerfile the way BuildKit's
front end does, works out the build context the .dockerignore would send (moby's pattern
rules, with files the candidate never saw added to it), follows every COPY into a model of the
image's file system, and runs the grader's own hadolint in a throwaway container."""

from __future__ import annotations

import json
import posixpath
import re
import shlex
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

REPO = "/srv/billing-api"
ALL_TASKS = ("no-baked-secrets", "non-root-healthcheck", "reproducible-build", "lint-clean")

# Files teammates add to the repository all the time: the candidate never sees these. They join
# the build context the check computes, so a .dockerignore that lists today's files by name
# (instead of the kinds of file the policy names) lets one through.
HIDDEN_FILES = {
    ".env.production": "STRIPE_API_KEY=sk_live_hidden\n",
    "tools/loadtest/.env": "TARGET_TOKEN=hidden\n",
    "secrets/sendgrid.token": "SG.hidden\n",
    "deploy/keys/id_rsa": "-----BEGIN RSA PRIVATE KEY-----\nhidden\n",
    "config/tls/billing.pem": "-----BEGIN PRIVATE KEY-----\nhidden\n",
    ".git/refs/heads/release-2024-06": "4f0c2e1a9b\n",
    "tests/__pycache__/test_health.cpython-312-pytest-8.2.2.pyc": "\0hidden",
    ".venv/lib/python3.12/site-packages/stripe/__init__.py": "# hidden\n",
}

SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|PWD|CREDENTIAL|DSN|DATABASE_URL)", re.I)
SECRET_VALUE = re.compile(r"(sk|rk)_live_[A-Za-z0-9]{8,}|-----BEGIN [A-Z ]*PRIVATE KEY-----|glpat-[A-Za-z0-9_-]{10,}")


# --- Dockerfile parsing ---------------------------------------------------------------------

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


# --- .dockerignore and the build context (moby/patternmatcher semantics) --------------------

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


def build_context(repo: Path, extra: dict[str, str] | None = None) -> set[str]:
    files = {p.relative_to(repo).as_posix() for p in repo.rglob("*") if p.is_file() or p.is_symlink()}
    files |= set(extra or {})
    ign = repo / ".dockerignore"
    pats = ignore_patterns(ign.read_text(errors="replace")) if ign.is_file() else []
    return {f for f in files if not ignored(f, pats)}


def secret_kind(path: str) -> str | None:
    parts = path.split("/")
    name = parts[-1]
    if parts[0] == ".git":
        return "Git metadata"
    if "secrets" in parts[:-1]:
        return "a secrets folder"
    if name == ".env" or (name.startswith(".env.") and name != ".env.example"):
        return "an env file"
    if name.endswith((".pem", ".key", ".p12", ".pfx")):
        return "a key or certificate"
    if re.fullmatch(r"id_(rsa|dsa|ecdsa|ed25519)(_[\w-]+)?", name):
        return "an SSH private key"
    return None


def clutter_kind(path: str) -> str | None:
    parts = path.split("/")
    if parts[0] in (".venv", "venv"):
        return "a local virtualenv"
    if "__pycache__" in parts or path.endswith(".pyc"):
        return "Python bytecode"
    return None


# --- a model of the image the Dockerfile builds ---------------------------------------------

@dataclass
class Stage:
    index: int
    name: str | None
    base: str
    fs: dict[str, str] = field(default_factory=dict)   # absolute path in the image -> context path
    workdir: str = "/"
    dirs: set[str] = field(default_factory=lambda: {"/"})
    user: str | None = None
    healthcheck: Instr | None = None
    cmd: Instr | None = None
    entrypoint: Instr | None = None
    expose: list[str] = field(default_factory=list)
    runs: list[tuple[Instr, frozenset]] = field(default_factory=list)  # RUN, fs paths at the time
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class Image:
    instrs: list[Instr]
    stages: list[Stage]
    errors: list[str]
    args: dict[str, str]

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def lineage(self, stage: Stage) -> list[Stage]:
        """The stage and the stages it is built FROM, nearest first."""
        out = [stage]
        while len(out) < 10:
            ref = next((s for s in self.stages[:out[-1].index] if s.name and s.name == out[-1].base.lower()), None)
            if ref is None:
                break
            out.append(ref)
        return out

    def root_base(self, stage: Stage) -> str:
        """The registry image a stage ultimately starts from (following FROM <stage>)."""
        seen = 0
        while seen < 10:
            ref = next((s for s in self.stages[:stage.index] if s.name and s.name == stage.base.lower()), None)
            if ref is None:
                return stage.base
            stage, seen = ref, seen + 1
        return stage.base


def expand(text: str, env: dict[str, str]) -> str:
    def sub(m):
        name = m.group(1) or m.group(3)
        default = m.group(2)
        val = env.get(name, "")
        if default is not None and default.startswith(":-"):
            return val or default[2:]
        if default is not None and default.startswith("-"):
            return val if name in env else default[1:]
        return val
    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)((?::?-)[^}]*)?\}|\$([A-Za-z_][A-Za-z0-9_]*)", sub, text)


def _kv_pairs(args: str) -> list[tuple[str, str]]:
    try:
        words = shlex.split(args)
    except ValueError:
        words = args.split()
    if len(words) >= 2 and "=" not in words[0]:
        return [(words[0], " ".join(words[1:]))]  # legacy `ENV NAME value`
    return [tuple(w.split("=", 1)) if "=" in w else (w, "") for w in words]


def build_model(dockerfile: str, context: set[str]) -> Image:
    instrs = parse_dockerfile(dockerfile)
    stages: list[Stage] = []
    errors: list[str] = []
    global_args: dict[str, str] = {}
    cur: Stage | None = None
    ctx_dirs = {"/".join(f.split("/")[:k]) for f in context for k in range(1, f.count("/") + 1)}

    def context_matches(src: str) -> list[str]:
        src = posixpath.normpath(src.lstrip("/")) if src.strip("/.") else "."
        if src == ".":
            return ["."]
        return sorted(p for p in context | ctx_dirs if fnmatchcase(p, src) and p.count("/") == src.count("/"))

    for ins in instrs:
        kw = ins.keyword
        if kw == "ARG" and cur is None:
            for k, v in _kv_pairs(ins.args):
                global_args[k] = v
            continue
        if kw == "FROM":
            words = expand(ins.args, global_args).split()
            base = words[0] if words else ""
            name = words[2].lower() if len(words) >= 3 and words[1].upper() == "AS" else None
            cur = Stage(len(stages), name, base)
            parent = next((s for s in stages if s.name and s.name == base.lower()), None)
            if parent:
                cur.fs, cur.workdir, cur.user, cur.env = dict(parent.fs), parent.workdir, parent.user, dict(parent.env)
                cur.dirs = set(parent.dirs)
                cur.healthcheck, cur.cmd, cur.entrypoint = parent.healthcheck, parent.cmd, parent.entrypoint
            stages.append(cur)
            continue
        if cur is None:
            errors.append(f"line {ins.line}: {kw} before the first FROM")
            continue
        env = {**global_args, **cur.env}
        if kw in ("ENV", "ARG"):
            for k, v in _kv_pairs(ins.args):
                if kw == "ENV" or k not in cur.env:
                    cur.env[k] = expand(v, env) if v else global_args.get(k, "") if kw == "ARG" else v
        elif kw == "WORKDIR":
            cur.workdir = posixpath.normpath(posixpath.join(cur.workdir, expand(ins.args.strip(), env)))
            cur.dirs.add(cur.workdir)
        elif kw == "USER":
            cur.user = expand(ins.args.strip(), env)
        elif kw == "HEALTHCHECK":
            cur.healthcheck = ins
        elif kw == "CMD":
            cur.cmd = ins
        elif kw == "ENTRYPOINT":
            cur.entrypoint = ins
            cur.cmd = None  # Docker resets CMD when ENTRYPOINT is set after it
        elif kw == "EXPOSE":
            cur.expose += expand(ins.args, env).split()
        elif kw == "RUN":
            cur.runs.append((ins, frozenset(cur.fs)))
        elif kw in ("COPY", "ADD"):
            words = ins.exec_form() or expand(ins.args, env).split()
            if len(words) < 2:
                errors.append(f"line {ins.line}: {kw} needs a source and a destination")
                continue
            srcs, dest = words[:-1], words[-1]
            dest_abs = posixpath.normpath(posixpath.join(cur.workdir, dest))
            many = len(srcs) > 1 or any(ch in s for s in srcs for ch in "*?[")
            into_dir = (dest.endswith("/") or dest.endswith("/.") or dest == "." or many or dest_abs in cur.dirs
                        or any(p.startswith(dest_abs.rstrip("/") + "/") for p in cur.fs))
            frm = ins.flags.get("from")
            if frm is not None:
                other = next((s for s in stages if s.name == frm.lower() or str(s.index) == frm), None)
                if other is None:
                    continue  # from another image: nothing to follow
                for s in srcs:
                    s_abs = posixpath.normpath(posixpath.join("/", s))
                    # Only what COPY brought into that stage is known; what its RUNs made is not.
                    hits = {p: v for p, v in other.fs.items() if p == s_abs or p.startswith(s_abs.rstrip("/") + "/")}
                    for p, v in hits.items():
                        rel = posixpath.relpath(p, s_abs) if p != s_abs else posixpath.basename(p)
                        target = posixpath.join(dest_abs, rel) if (p != s_abs or into_dir) else dest_abs
                        cur.fs[posixpath.normpath(target)] = v
                continue
            for s in srcs:
                if s.startswith("<<"):
                    cur.fs[dest_abs] = "(heredoc)"
                    continue
                if kw == "ADD" and re.match(r"^(https?|git)://|^git@", s):
                    continue
                hits = context_matches(expand(s, env))
                if not hits:
                    errors.append(f"line {ins.line}: {kw} {s}: not in the build context")
                for h in hits:
                    if h == "." or h in ctx_dirs:
                        prefix = "" if h == "." else h + "/"
                        for f in context:
                            if f.startswith(prefix):
                                cur.fs[posixpath.normpath(posixpath.join(dest_abs, f[len(prefix):]))] = f
                    else:
                        target = posixpath.join(dest_abs, posixpath.basename(h)) if into_dir else dest_abs
                        cur.fs[posixpath.normpath(target)] = h
    if not stages:
        errors.append("no FROM instruction")
    return Image(instrs, stages, errors, global_args)


def command_words(ins: Instr | None) -> list[str]:
    if ins is None:
        return []
    form = ins.exec_form()
    if form is not None:
        return form
    try:
        return shlex.split(ins.args)
    except ValueError:
        return ins.args.split()


def pip_installs_requirements(ins: Instr) -> bool:
    text = ins.args + " " + " ".join(ins.heredocs)
    return bool(re.search(r"\bpip3?(\.\d+)?\s+install\b|-m\s+pip\s+install\b", text)
                and re.search(r"(-r|--requirement)[=\s]+\S*requirements\.txt", text))


# --- fixtures ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def repo(copy_out) -> Path:
    return copy_out(REPO)


@pytest.fixture(scope="module")
def dockerfile(repo) -> str:
    path = repo / "Dockerfile"
    assert path.is_file(), f"{REPO}/Dockerfile is missing"
    return path.read_text(errors="replace")


@pytest.fixture(scope="module")
def context(repo) -> set[str]:
    return build_context(repo, HIDDEN_FILES)


@pytest.fixture(scope="module")
def image(dockerfile, context) -> Image:
    return build_model(dockerfile, context)


# --- the image still builds the billing API (every task) ----------------------------------------

@pytest.mark.task("no-baked-secrets")
@pytest.mark.task("non-root-healthcheck")
@pytest.mark.task("reproducible-build")
@pytest.mark.task("lint-clean")
def test_every_copy_source_is_in_the_build_context(image):
    assert not image.errors, f"the Dockerfile would not build: {image.errors[0]}"


@pytest.mark.task("no-baked-secrets")
@pytest.mark.task("non-root-healthcheck")
@pytest.mark.task("reproducible-build")
@pytest.mark.task("lint-clean")
def test_image_is_built_on_the_official_python_3_12_image(image):
    assert image.stages, "the Dockerfile has no FROM"
    base = image.root_base(image.final)
    repo_, _, tag = base.split("@")[0].rpartition(":") if ":" in base.split("@")[0].split("/")[-1] else (base.split("@")[0], "", "")
    versioned = bool(re.match(r"\d", tag))  # `latest`, `slim`…: no version named (the pinning task says so)
    assert repo_ in ("python", "library/python", "docker.io/library/python", "docker.io/python") and (
        tag.startswith("3.12") or not versioned), (
        f"the final image starts from {base or 'nothing'}: the service runs on the official Python 3.12 image")


@pytest.mark.task("no-baked-secrets")
@pytest.mark.task("non-root-healthcheck")
@pytest.mark.task("reproducible-build")
@pytest.mark.task("lint-clean")
def test_requirements_are_installed_with_pip(image):
    ok = [ins for st in image.stages for ins, fs in st.runs
          if pip_installs_requirements(ins) and any(p.endswith("/requirements.txt") for p in fs)]
    assert ok, "no RUN installs the service's dependencies from requirements.txt (copied into the image first)"


@pytest.mark.task("no-baked-secrets")
@pytest.mark.task("non-root-healthcheck")
@pytest.mark.task("reproducible-build")
@pytest.mark.task("lint-clean")
def test_billing_code_is_where_gunicorn_starts(image):
    st = image.final
    missing = [f for f in ("billing/__init__.py", "billing/wsgi.py", "billing/api.py", "billing/health.py")
               if posixpath.join(st.workdir, f) not in st.fs]
    assert not missing, (f"the final image has no {missing[0]} under its working directory {st.workdir}: "
                         "gunicorn imports billing.wsgi from there")


@pytest.mark.task("no-baked-secrets")
@pytest.mark.task("non-root-healthcheck")
@pytest.mark.task("reproducible-build")
@pytest.mark.task("lint-clean")
def test_container_starts_gunicorn_with_the_billing_app_on_8080(image, repo):
    st = image.final
    words = command_words(st.entrypoint) + command_words(st.cmd)
    assert any(posixpath.basename(w) == "gunicorn" for w in words) and "billing.wsgi:app" in words, (
        "the container no longer starts `gunicorn … billing.wsgi:app`")
    binds = [words[k + 1] for k, w in enumerate(words[:-1]) if w in ("-b", "--bind")]
    binds += [w.split("=", 1)[1] for w in words if w.startswith("--bind=")]
    if not binds:
        conf = next((words[k + 1] for k, w in enumerate(words[:-1]) if w in ("-c", "--config")), None)
        src = st.fs.get(posixpath.normpath(posixpath.join(st.workdir, conf))) if conf else None
        text = (repo / src).read_text(errors="replace") if src and (repo / src).is_file() else ""
        binds = re.findall(r"^\s*bind\s*=\s*['\"]([^'\"]+)", text, re.M)
    assert any(b.endswith(":8080") for b in binds), "gunicorn in the image no longer binds port 8080"
    assert any(p.split("/")[0] == "8080" for p in st.expose), "the image no longer declares EXPOSE 8080"


def _describe(found: list[tuple[bool, str, str]]) -> str:
    """Name the first file found, unless it is one the check added: those stay unnamed, so
    they cannot be listed one by one."""
    hidden, path, kind = found[0]
    first = f"{kind} that a teammate could add (not in your tree today)" if hidden else f"{path} ({kind})"
    return first + (f" and {len(found) - 1} more" if len(found) > 1 else "")


# --- no-baked-secrets -------------------------------------------------------------------------

@pytest.mark.task("no-baked-secrets")
def test_dockerfile_sets_no_secret(image, repo):
    values = set()
    for f in [repo / ".env", *sorted((repo / "secrets").glob("*"))]:
        if f.is_file():
            for line in f.read_text(errors="replace").splitlines():
                v = line.split("=", 1)[-1].strip()
                if len(v) >= 8:
                    values.add(v)
    for ins in image.instrs:
        text = ins.rest + " " + " ".join(ins.heredocs)
        assert not SECRET_VALUE.search(text) and not any(v in text for v in values), (
            f"line {ins.line} of the Dockerfile holds a credential: anything in an image layer or its history is readable by whoever pulls it")
        if ins.keyword in ("ENV", "ARG"):
            for k, v in _kv_pairs(ins.args):
                assert not SECRET_NAME.search(k) or (ins.keyword == "ENV" and not v.strip("'\"")), (
                    f"line {ins.line}: {ins.keyword} {k} puts a credential into the image or its history; supply it at run time or as a build secret")


@pytest.mark.task("no-baked-secrets")
def test_build_context_holds_no_secrets(context):
    leaks = sorted((p in HIDDEN_FILES, p, k) for p in context if (k := secret_kind(p)))
    assert not leaks, f"the build context would send {_describe(leaks)}; exclude files by their kind, not by today's names"


# --- non-root-healthcheck ---------------------------------------------------------------------

@pytest.mark.task("non-root-healthcheck")
def test_container_runs_as_a_non_root_user(image):
    st = image.final
    user = (st.user or "").strip()
    name = user.split(":")[0]
    assert name and name not in ("root", "0"), "the container runs as root: set a USER for the service"
    if not name.isdigit():
        created = any(re.search(rf"\b(useradd|adduser)\b[^;&|]*\b{re.escape(name)}\b", ins.args)
                      for s in image.lineage(st) for ins, _ in s.runs)
        assert created or name in ("nobody", "daemon", "www-data"), (
            f"USER {name}: no RUN in the final image creates that account, so the container would not start")


def _health_words(image) -> list[str]:
    hc = image.final.healthcheck
    if hc is None:
        return []
    body = hc.args.strip()
    if body.upper() == "NONE":
        return []
    if body.upper().startswith("CMD"):
        body = body[3:].strip()
    tmp = Instr("CMD", body, hc.line, args=body)
    return command_words(tmp)


@pytest.mark.task("non-root-healthcheck")
def test_healthcheck_probes_the_health_endpoint(image):
    words = _health_words(image)
    assert words, "the image has no HEALTHCHECK: the orchestrator cannot tell a hung worker from a healthy one"
    text = " ".join(words)
    assert "/healthz" in text and "8080" in text, (
        "the HEALTHCHECK does not ask the service's health endpoint on its own port")


@pytest.mark.task("non-root-healthcheck")
def test_healthcheck_command_exists_in_the_image(image):
    words = _health_words(image)
    if words and words[0] in ("sh", "/bin/sh", "bash", "/bin/bash") and len(words) > 2:
        words = shlex.split(words[-1]) or words
    tool = posixpath.basename(words[0]) if words else ""
    if tool in ("curl", "wget"):
        base = image.root_base(image.final)
        slim = any(t in base for t in ("slim", "alpine"))
        installed = any(re.search(rf"\b(apt-get|apt|apk)\b[^;]*\b(install|add)\b[^;&|]*\b{tool}\b", ins.args)
                        for s in image.lineage(image.final) for ins, _ in s.runs)
        assert installed or not slim, (
            f"the HEALTHCHECK calls {tool}, which {base} does not have: the check would fail and the container never turn healthy")


# The health check runs in the sandbox against a stand-in for the service on 127.0.0.1:8080,
# which answers /healthz with the given status (anything else: 404); 0 = nothing listening.
STUB = r"""
import http.server, sys
code = int(sys.argv[1])
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.path.split("?")[0] == "/healthz"
        self.send_response(code if ok else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}' if ok and code == 200 else b'{"status": "failing"}')
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", 8080), H).serve_forever()
"""
PROBE = r"""
stub=$1 code=$2; shift 2
pid=
if [ "$code" != 0 ]; then
  /usr/bin/python3 -c "$stub" "$code" >/dev/null 2>&1 & pid=$!
  for _ in $(/usr/bin/seq 50); do
    /usr/bin/python3 -c 'import socket; socket.create_connection(("127.0.0.1", 8080), 0.2)' 2>/dev/null && break
    /usr/bin/sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null || { echo "STUB-FAILED"; exit 0; }
fi
cd /tmp && /usr/bin/timeout -k 2 8 "$@" </dev/null >/dev/null 2>&1
echo "RC=$?"
[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
exit 0
"""


def _health_argv(image) -> list[str]:
    """The HEALTHCHECK command as Docker runs it: exec form as is, shell form via /bin/sh -c."""
    hc = image.final.healthcheck
    body = hc.args.strip() if hc else ""
    if not body.upper().startswith("CMD"):
        return []  # none, or NONE
    body = body[3:].strip()
    if body.startswith("["):
        return _health_words(image)
    return ["/bin/sh", "-c", body] if body else []


def _run_health(host, argv: list[str], code: int) -> int:
    cmd = host.run("/bin/bash -c %s probe %s %s" + " %s" * len(argv), PROBE, STUB, str(code), *argv)
    out = cmd.stdout
    assert "STUB-FAILED" not in out, ("port 8080 is busy in the sandbox: stop whatever listens there so the check "
                                      "can stand in for the service")
    m = re.search(r"RC=(\d+)", out)
    assert m, "the check could not run the HEALTHCHECK command"
    return int(m.group(1))


def shell_programs(cmd: str) -> list[str]:
    """The programs a shell command line runs: the first word of each simple command."""
    lex = shlex.shlex(cmd, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    try:
        tokens = list(lex)
    except ValueError:
        tokens = cmd.split()
    progs, start = [], True
    for t in tokens:
        if set(t) <= set("();<>|&"):
            start = True
            continue
        if start:
            if re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", t) or t in ("!", "exec", "command", "timeout", "{", "}") \
                    or re.fullmatch(r"-?\d+[smh]?|-\w+", t):
                continue
            progs.append(t)
            start = False
    return progs


# The programs a health check runs with here: a candidate could swap one for a stand-in.
CLIENT_FILES = ["/usr/bin/python3.11", "/usr/bin/curl", "/usr/bin/timeout", "/usr/bin/dash", "/usr/bin/bash"]


@pytest.mark.task("non-root-healthcheck")
def test_healthcheck_tools_here_are_as_installed(modified):
    changed = [p for p in CLIENT_FILES if modified(p)]
    assert not changed, f"{changed[0]} changed since the host was built: put back the original so the health check can be trusted"


@pytest.mark.task("non-root-healthcheck")
def test_healthcheck_command_is_one_the_image_can_run(image):
    argv = _health_argv(image)
    progs = [argv[0]] if argv[:2] != ["/bin/sh", "-c"] else shell_programs(argv[2])
    for prog in progs:
        base = posixpath.basename(prog)
        in_image = posixpath.normpath(posixpath.join(image.final.workdir, prog)) in image.final.fs
        assert (re.fullmatch(r"python[\d.]*|curl|wget|exit|test|\[|true|false|echo|grep|timeout|sh|bash", base)
                and (not prog.startswith("/") or re.match(r"^/(usr/)?(local/)?s?bin/", prog))) or in_image, (
            f"the HEALTHCHECK runs {prog}, which the image does not have")


@pytest.mark.task("non-root-healthcheck")
def test_healthcheck_passes_while_the_service_is_healthy(image, host):
    argv = _health_argv(image)
    assert argv, "the image has no HEALTHCHECK"
    rc = _run_health(host, argv, 200)
    assert rc == 0, "the HEALTHCHECK fails even while the service answers /healthz with 200 (run here against a stand-in on 127.0.0.1:8080)"


@pytest.mark.task("non-root-healthcheck")
def test_healthcheck_fails_when_the_service_is_not_healthy(image, host):
    argv = _health_argv(image)
    assert argv, "the image has no HEALTHCHECK"
    assert _run_health(host, argv, 503) != 0, "the HEALTHCHECK still passes when /healthz answers 503: it does not look at the answer"
    assert _run_health(host, argv, 0) != 0, "the HEALTHCHECK still passes when nothing listens on port 8080"


# --- reproducible-build -----------------------------------------------------------------------

@pytest.mark.task("reproducible-build")
def test_base_images_are_pinned_to_a_version(image):
    names = {s.name for s in image.stages if s.name}
    for st in image.stages:
        base = st.base
        if base.lower() in names or base == "scratch":
            continue
        last = base.split("/")[-1]
        tag = last.split("@")[0].partition(":")[2]
        assert "@sha256:" in base or (tag and tag != "latest" and re.search(r"\d", tag)), (
            f"FROM {base}: the base image is not pinned to a version, so the next build may get a different one")


@pytest.mark.task("reproducible-build")
def test_nothing_is_fetched_and_run_at_build_time(image):
    for ins in image.instrs:
        text = ins.args + " " + " ".join(ins.heredocs)
        if ins.keyword == "RUN":
            assert not re.search(r"\b(curl|wget)\b[^;&]*\|\s*(sudo\s+)?(\S*/)?(ba|z|da)?sh\b|\b(curl|wget)\b[^;&]*\|\s*(\S*/)?python[\d.]*", text), (
                f"line {ins.line}: a script downloaded at build time is piped into a shell")
        if ins.keyword == "ADD":
            assert not re.search(r"(^|\s)(https?|git)://|git@", ins.args), (
                f"line {ins.line}: ADD fetches from the network at build time")


@pytest.mark.task("reproducible-build")
def test_dependencies_install_before_the_code_is_copied(image):
    for st in image.stages:
        for ins, fs in st.runs:
            if pip_installs_requirements(ins):
                code = [p for p in fs if re.search(r"/billing/[^/]+\.py$", p)]
                assert not code, (f"line {ins.line}: dependencies are installed after the application code is copied, "
                                  "so every code change re-installs them")


@pytest.mark.task("reproducible-build")
def test_build_context_leaves_out_local_clutter(context):
    junk = sorted((p in HIDDEN_FILES, p, k) for p in context if (k := clutter_kind(p)))
    assert not junk, f"the build context would send {_describe(junk)}"


# --- lint-clean -------------------------------------------------------------------------------

@pytest.mark.task("lint-clean")
def test_hadolint_reports_no_warnings_or_errors(dockerfile, tmp_path_factory, hadolint):
    work = tmp_path_factory.mktemp("hadolint")
    (work / "Dockerfile").write_text(dockerfile)
    (work / "hadolint.yaml").write_text("{}\n")  # no ignores, no trusted-registry tricks
    res = hadolint("--config", str(work / "hadolint.yaml"), "--disable-ignore-pragma", "--no-fail", "--no-color",
                   "-f", "json", str(work / "Dockerfile"), cwd=work, timeout=60)
    try:
        found = json.loads(res.stdout or "null")
    except ValueError:
        found = None
    assert isinstance(found, list), f"hadolint could not read the Dockerfile: {(res.stderr or res.stdout).strip()[:200]}"
    bad = [f for f in found if f.get("level") in ("error", "warning")]
    assert not bad, ("hadolint still reports " + ", ".join(f"{f['code']} (line {f['line']})" for f in bad[:4])
                     + (f" and {len(bad) - 4} more" if len(bad) > 4 else ""))
