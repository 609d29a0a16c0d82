"""Shared fixtures: the fixture labs, a real Docker provider, a scratch lab factory."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

FIXTURE_LABS = Path(__file__).parent / "fixtures" / "labs"


@pytest.fixture(scope="session", autouse=True)
def no_disk_watchdog_left_behind():
    """`opslab lab start` leaves a disk watchdog running where the engine cannot cap disks; a
    test run must not leave one judging every sandbox on a (maybe shared) engine. The watchdog
    itself is tested directly (tests/integration/test_disk_cap.py)."""
    before = os.environ.get("OPSLAB_DISK_WATCHDOG")
    os.environ["OPSLAB_DISK_WATCHDOG"] = "0"
    yield
    if before is None:
        os.environ.pop("OPSLAB_DISK_WATCHDOG", None)
    else:
        os.environ["OPSLAB_DISK_WATCHDOG"] = before


@pytest.fixture
def greeting_lab_dir(tmp_path) -> Path:
    """A private copy of the greeting-file fixture lab that a test may edit."""
    dest = tmp_path / "greeting-file"
    shutil.copytree(FIXTURE_LABS / "greeting-file", dest)
    return dest


@pytest.fixture(scope="session")
def provider():
    """The real Docker provider. Outside `make test` a missing engine skips; under it, fails."""
    from infra.errors import EngineUnavailable
    from infra.providers import get_provider

    try:
        return get_provider("docker")
    except EngineUnavailable as e:
        if os.environ.get("OPSLAB_REQUIRE_DOCKER"):
            pytest.fail(f"make test needs a Docker engine: {e}")
        pytest.skip(reason=f"no Docker engine reachable: {e}")


@pytest.fixture
def sandboxes(provider):
    """Track sandboxes a test creates and destroy them afterwards, whatever happens."""
    made = []
    yield made
    for sb in made:
        sb.destroy()


@pytest.fixture(scope="session")
def platform(provider):
    """The real platform (Redis, gunicorn, Celery worker) on the fixture labs."""
    from tests.platform import running_platform

    if not shutil.which("redis-server"):
        if os.environ.get("OPSLAB_REQUIRE_DOCKER"):
            pytest.fail("make test needs redis-server (infra/setup/ensure-web-deps.sh installs it)")
        pytest.skip(reason="redis-server is not installed (infra/setup/ensure-web-deps.sh installs it)")
    with running_platform(FIXTURE_LABS) as p:
        yield p
