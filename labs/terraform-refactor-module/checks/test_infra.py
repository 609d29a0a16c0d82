"""Checks for terraform-refactor-module.

/root/infra is copied out of the sandbox and judged with the grader's own Terraform, never
the one in the sandbox. The plan is made against prod.tfstate (here in checks/: the state
setup installed, with its resource ids), not against the sandbox's state: CI applies the
same code to prod, so the code itself (moved blocks) has to carry the state along.

Before Terraform runs on the grader, the copy is cut down to the configuration: no
.terraform, lock files, states or override files of the candidate's; providers can only
come from an empty plugin folder (so only Terraform's builtin provider works), and module
sources and remote state that would reach the network are refused.
"""

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

INFRA = "/root/infra"
SERVICES = ("web", "api", "worker")
MOVED = (
    "terraform_data.web",
    "terraform_data.web_dns",
    "terraform_data.api",
    "terraform_data.api_dns",
    "terraform_data.worker",
)
URLS = {"web": "https://web.shop.example.com", "api": "https://api.shop.example.com"}
# Anything that would make the grader's Terraform fetch or read from elsewhere.
_REMOTE = re.compile(r'\bsource"?\s*[=:](?!\s*"\.\.?/)|terraform_remote_state|\bcloud\s*\{')
_SKIP = (
    ".terraform",
    "terraform.d",
    "*.tfstate",
    "*.tfstate.*",
    ".terraform.lock.hcl",
    "override.tf",
    "override.tf.json",
    "*_override.tf",
    "*_override.tf.json",
)
_cache: dict[str, dict] = {}  # content hash of a copy -> what Terraform said about it


def _prod_state(lab_dir: Path) -> dict:
    return json.loads((lab_dir / "checks" / "prod.tfstate").read_text())


def _ids(state: dict) -> dict[str, str]:
    """{address: id} of every resource instance in a state file."""
    out = {}
    for r in state.get("resources", []):
        for inst in r.get("instances", []):
            addr = f"{r.get('module') + '.' if r.get('module') else ''}{r['type']}.{r['name']}"
            if "index_key" in inst:
                addr += f"[{json.dumps(inst['index_key'])}]"
            out[addr] = inst.get("attributes", {}).get("id")
    return out


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(folder)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


@pytest.fixture
def infra(ops, copy_out, tmp_path) -> Path:
    """A clean copy of the candidate's configuration (no state, no plugins) on the grader."""
    assert ops.file(INFRA).is_directory, f"{INFRA} is missing"
    work = tmp_path / "infra"
    shutil.copytree(
        copy_out(INFRA, host="ops"), work, symlinks=False, ignore=shutil.ignore_patterns(*_SKIP)
    )
    return work


@pytest.fixture
def tf(infra, lab_dir, terraform) -> dict:
    """init, validate, fmt and a plan against the prod state, run once per distinct config."""
    key = _digest(infra)
    if key not in _cache:
        _cache[key] = _judge(infra, lab_dir, terraform)
    return _cache[key]


def _judge(infra: Path, lab_dir: Path, terraform) -> dict:
    out: dict = {"remote": False, "init": None, "validate": None, "fmt": None, "plan": None}
    for f in list(infra.rglob("*.tf")) + list(infra.rglob("*.tf.json")):
        if _REMOTE.search(f.read_text(errors="replace")):
            out["remote"] = True
            return out
    # Plan against prod: its state, through a backend override that wins over the config's.
    shutil.copy(lab_dir / "checks" / "prod.tfstate", infra / "opslab-prod.tfstate")
    (infra / "opslab_override.tf").write_text(
        'terraform {\n  backend "local" {\n    path = "opslab-prod.tfstate"\n  }\n}\n'
    )
    plugins = infra.parent / "no-plugins"  # empty: no provider can be installed
    plugins.mkdir(exist_ok=True)
    out["init"] = terraform(
        "init", "-input=false", "-no-color", f"-plugin-dir={plugins}", cwd=infra
    )
    if out["init"].rc != 0:
        return out
    out["validate"] = terraform("validate", "-no-color", cwd=infra)
    out["fmt"] = terraform("fmt", "-check", "-recursive", "-no-color", cwd=infra)
    out["plan"] = terraform(
        "plan", "-input=false", "-lock=false", "-no-color", "-out=opslab.tfplan", cwd=infra
    )
    if out["plan"].rc == 0:
        show = terraform("show", "-json", "opslab.tfplan", cwd=infra)
        if show.rc != 0:
            raise RuntimeError(f"terraform show cannot read its own plan: {show.stderr}")
        out["show"] = json.loads(show.stdout)
        prior = out["show"].get("prior_state", {}).get("values", {}).get("root_module", {})
        if {r.get("values", {}).get("id") for r in _instances(prior)} != set(
            _ids(_prod_state(lab_dir)).values()
        ):
            raise RuntimeError("the plan was not made against prod.tfstate")
    return out


def _initialised(tf) -> None:
    """Assert that the grader's terraform init worked on the copy."""
    assert not tf["remote"], (
        "The configuration uses more than local modules and Terraform's builtin resources"
    )
    assert tf["init"].rc == 0, f"terraform init fails on {INFRA}\n{tf['init'].stderr}"


def _plan(tf) -> dict:
    """The plan against the prod state as JSON, or an assertion a candidate can act on."""
    _initialised(tf)
    assert tf["plan"].rc == 0, f"terraform plan fails on {INFRA}\n{tf['plan'].stderr}"
    return tf["show"]


def _instances(module: dict):
    """Every resource in a planned_values module, its children included."""
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from _instances(child)


# --- config-valid --------------------------------------------------------------------


@pytest.mark.task("config-valid")
def test_terraform_validate_passes(tf):
    _initialised(tf)
    assert tf["validate"].rc == 0, f"terraform validate fails on {INFRA}\n{tf['validate'].stderr}"


@pytest.mark.task("config-valid")
def test_terraform_fmt_check_passes(tf):
    _initialised(tf)
    assert tf["fmt"].rc == 0, (
        f"terraform fmt -check -recursive lists unformatted files\n{tf['fmt'].stdout}"
    )


# --- module-used ---------------------------------------------------------------------


def _service_calls(plan: dict) -> set[str]:
    """Names of module calls to a local module under modules/ with for_each."""
    calls = plan.get("configuration", {}).get("root_module", {}).get("module_calls", {})
    return {
        name
        for name, c in calls.items()
        if str(c.get("source", "")).startswith("./modules/") and "for_each_expression" in c
    }


@pytest.mark.task("module-used")
def test_services_come_from_one_local_module_with_for_each(tf):
    plan = _plan(tf)
    assert _service_calls(plan), "No module call uses a local module under modules/ with for_each"


@pytest.mark.task("module-used")
def test_each_service_is_a_module_instance(tf):
    plan = _plan(tf)
    calls = _service_calls(plan)
    root = plan.get("planned_values", {}).get("root_module", {})
    found = set()
    for child in root.get("child_modules", []):
        m = re.fullmatch(r'module\.([\w-]+)\["([\w-]+)"\]', child.get("address", ""))
        if m and m.group(1) in calls and m.group(2) in SERVICES:
            names = {
                (r.get("values", {}).get("input") or {}).get("name")
                for r in _instances(child)
                if isinstance(r.get("values", {}).get("input"), dict)
            }
            if m.group(2) in names:
                found.add(m.group(2))
    missing = [s for s in SERVICES if s not in found]
    assert not missing, (
        f"These services are not an instance of the module, keyed by their name: {', '.join(missing)}"
    )


@pytest.mark.task("module-used")
def test_root_module_keeps_no_per_service_resources(tf):
    plan = _plan(tf)
    root = plan.get("configuration", {}).get("root_module", {})
    extra = [
        r["address"]
        for r in root.get("resources", [])
        if r.get("address") != "terraform_data.cluster"
    ]
    assert not extra, "The root module still declares resources of its own besides the cluster"


# --- no-replacement ------------------------------------------------------------------


def _actions(tf, action: str) -> list[str]:
    return [
        c["address"]
        for c in _plan(tf).get("resource_changes", [])
        if action in c["change"]["actions"]
    ]


@pytest.mark.task("no-replacement")
def test_plan_destroys_nothing_in_prod(tf):
    assert not _actions(tf, "delete"), "Against the prod state, the plan would destroy resources"


@pytest.mark.task("no-replacement")
def test_plan_creates_nothing_in_prod(tf):
    assert not _actions(tf, "create"), "Against the prod state, the plan would create resources"


@pytest.mark.task("no-replacement")
def test_plan_changes_nothing_in_prod(tf):
    assert not _actions(tf, "update"), (
        "Against the prod state, the plan would change resources in place"
    )


@pytest.mark.task("no-replacement")
def test_every_old_resource_is_moved(tf):
    moved = {c.get("previous_address") for c in _plan(tf).get("resource_changes", [])}
    missing = [a for a in MOVED if a not in moved]
    assert not missing, f"Not moved to a new address by the configuration: {', '.join(missing)}"


@pytest.mark.task("no-replacement")
def test_no_differences_are_ignored(infra):
    hits = [
        str(f.relative_to(infra))
        for f in infra.rglob("*.tf*")
        if "ignore_changes" in f.read_text(errors="replace")
    ]
    assert not hits, (
        "ignore_changes hides differences between the module and prod: make the module match instead"
    )


@pytest.mark.task("no-replacement")
def test_local_state_keeps_the_original_resources(ops, copy_out, lab_dir):
    assert ops.file(f"{INFRA}/terraform.tfstate").is_file, f"{INFRA}/terraform.tfstate is gone"
    try:
        state = json.loads(copy_out(f"{INFRA}/terraform.tfstate", host="ops").read_text())
    except ValueError:
        state = {}
    have = set(_ids(state).values())
    lost = [a for a, i in _ids(_prod_state(lab_dir)).items() if i not in have]
    assert not lost, (
        f"Resources were destroyed or recreated in {INFRA}/terraform.tfstate: {', '.join(lost)}"
    )


# --- outputs-complete ----------------------------------------------------------------


@pytest.mark.task("outputs-complete")
def test_service_urls_output_maps_public_services_to_urls(tf):
    outputs = _plan(tf).get("planned_values", {}).get("outputs", {})
    assert "service_urls" in outputs, "There is no root output named service_urls"
    assert outputs["service_urls"].get("value") == URLS, (
        "service_urls does not map each public service, and only those, to its https URL"
    )
