"""The registry of check tools: the grader's own programs, each run boxed the same way.

A check judges what the candidate wrote (a Terraform configuration, a rules file) with the
grader's copy of the program, never the sandbox's: the file is copied out through the
engine, and the tool runs in a tool box (grader.target.ToolBox) — a fresh container of a
project image with no network, no capabilities, a read-only root and only the grading run's
temporary folder — because what it reads was written by the candidate (Terraform's `file()`
reads the host, remote state reaches the network). Each entry becomes a check fixture of
the same name (grader.plugin). A new tool is one entry here plus its image in infra/images/.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The grader's Terraform never installs a provider: only builtin ones (terraform_data) and
# what a check hands it explicitly (-plugin-dir).
TERRAFORM_CLI_CONFIG = """
disable_checkpoint = true
provider_installation {
  filesystem_mirror {
    path    = "/nonexistent/opslab-no-provider-downloads"
    include = ["*/*/*"]
  }
}
"""


@dataclass(frozen=True)
class CheckTool:
    name: str                      # the check fixture's name
    image: str                     # a project image that holds the program
    argv: tuple[str, ...]          # the program inside the box
    env: dict[str, str] = field(default_factory=dict)    # "{workdir}" is the run's folder
    files: dict[str, str] = field(default_factory=dict)  # written into the run's folder first
    timeout: float = 120
    scratch: tuple[str, ...] = ()  # empty writable folders the program insists on (tmpfs)
    caps: tuple[str, ...] = ()     # capabilities the program cannot work without, in its box


CHECK_TOOLS: dict[str, CheckTool] = {
    "terraform": CheckTool(
        "terraform", "opslab/terraform", ("terraform",),
        env={"CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1", "TF_CLI_CONFIG_FILE": "{workdir}/terraformrc"},
        files={"terraformrc": TERRAFORM_CLI_CONFIG}),
    "promtool": CheckTool("promtool", "opslab/prometheus", ("/usr/bin/promtool",), timeout=60),
    "hadolint": CheckTool("hadolint", "opslab/containers", ("/usr/bin/hadolint",), timeout=60),
    "compose": CheckTool("compose", "opslab/containers", ("/usr/bin/docker-compose",), timeout=60),
    # nginx(config_folder, "-t", cwd=...): the image's own nginx judges a copy of /etc/nginx,
    # put in place in the box, so only modules the image ships can load (its -t and -T open
    # the pid and log files, and chown its temporary folders to the worker user).
    "nginx": CheckTool(
        "nginx", "opslab/nginx",
        ("/bin/sh", "-c", 'src=$1; shift; cp -R "$src"/. /etc/nginx/ && exec /usr/sbin/nginx -e stderr "$@"', "nginx"),
        scratch=("/etc/nginx", "/run", "/var/log/nginx", "/var/lib/nginx"), caps=("CHOWN",), timeout=30),
}


def check_tool(name: str) -> CheckTool:
    """The registered tool `name`; an unknown name lists the known ones."""
    try:
        return CHECK_TOOLS[name]
    except KeyError:
        raise KeyError(f"unknown check tool {name!r}; known: {', '.join(CHECK_TOOLS)}") from None
