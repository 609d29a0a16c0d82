"""The image builder rebuilds only what changed."""

from __future__ import annotations

import docker.errors

from infra.images import BASE, HASH_LABEL, build_image


def test_rebuilds_only_when_the_folder_changes(tmp_path, provider):
    folder = tmp_path / "probe"
    folder.mkdir()
    (folder / "Dockerfile").write_text("FROM opslab/base\nRUN echo one > /probe\n")
    name = "opslab/test-probe"
    lines: list[str] = []
    try:
        assert build_image(provider.client, name, lines.append, folder=folder).built
        assert any("Step 2/" in line for line in lines)  # progress is shown
        assert not build_image(provider.client, name, lines.append, folder=folder).built
        assert lines[-1] == f"{name}: up to date"
        (folder / "Dockerfile").write_text("FROM opslab/base\nRUN echo two > /probe\n")
        assert build_image(provider.client, name, lines.append, folder=folder).built
        labels = provider.client.api.inspect_image(name)["Config"]["Labels"]
        assert labels[HASH_LABEL]
    finally:
        try:
            provider.client.images.remove(name, force=True)
        except docker.errors.ImageNotFound:
            pass


def test_base_image_exists_with_its_recipe_label(provider):
    labels = provider.client.api.inspect_image(BASE)["Config"]["Labels"] or {}
    assert labels.get(HASH_LABEL), "opslab/base should be built by `opslab images build`"
