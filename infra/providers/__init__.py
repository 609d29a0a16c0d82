"""Sandbox providers: one `Provider` protocol (base.py), one small class per back end."""

from __future__ import annotations

import importlib

from infra.errors import InfraError
from infra.providers.base import Provider

# name -> "module:Class". A new back end is one module here plus one line, and must pass
# tests/integration/test_provider_contract.py (parametrised over this table).
PROVIDERS: dict[str, str] = {
    "docker": "infra.providers.docker:DockerProvider",
}


class UnknownProvider(InfraError):
    def __init__(self, name: str):
        super().__init__(f"unknown sandbox provider {name!r} (OPSLAB_PROVIDER); known: {', '.join(PROVIDERS)}")


def get_provider(name: str = "docker", **options) -> Provider:
    """Build the provider registered under `name`; an unknown name lists the known ones."""
    try:
        path = PROVIDERS[name]
    except KeyError:
        raise UnknownProvider(name) from None
    module, cls = path.split(":")
    return getattr(importlib.import_module(module), cls)(**options)
