"""The grader's Terraform cannot read the grader host's files or reach any network."""

from __future__ import annotations

import secrets
from pathlib import Path

from infra.providers.docker_target import DockerToolBox as ToolBox


def test_terraform_file_function_cannot_read_the_host(provider, tmp_path):
    secret = Path(f"/tmp/opslab-secret-{secrets.token_hex(4)}")
    secret.write_text("s3cr3t-value")
    work = tmp_path / "work"
    (work / "cfg").mkdir(parents=True)
    # what a hostile .tf.json could do: escapes slip past text filters, Terraform decodes them
    (work / "cfg" / "main.tf.json").write_text(
        '{"output": {"leak": {"value": "${fil\\u0065(\\"' + str(secret) + '\\")}"}}}')
    box = ToolBox("opslab/terraform", work, {"CHECKPOINT_DISABLE": "1"})
    try:
        assert box.run(["terraform", "init", "-input=false", "-no-color"], cwd=work / "cfg").rc == 0
        plan = box.run(["terraform", "plan", "-input=false", "-no-color"], cwd=work / "cfg")
        assert plan.rc != 0 and "no file exists" in (plan.stdout + plan.stderr).lower()
        assert "s3cr3t-value" not in plan.stdout + plan.stderr
        cfg = provider.client.api.inspect_container(box.container.id)["HostConfig"]
        assert cfg["NetworkMode"] == "none" and cfg["CapDrop"] == ["ALL"] and cfg["ReadonlyRootfs"]
    finally:
        box.close()
        secret.unlink()


def test_tools_run_only_inside_the_work_folder(provider, tmp_path):
    import pytest

    box = ToolBox("opslab/terraform", tmp_path / "w" if (tmp_path / "w").mkdir() is None else tmp_path)
    try:
        with pytest.raises(ValueError, match="outside the grader's work folder"):
            box.run(["true"], cwd=Path("/etc"))
    finally:
        box.close()
