"""Sandbox providers: one `Provider` protocol (base.py), one small class per back end."""

from __future__ import annotations

from infra.providers.base import Provider

PROVIDERS: dict[str, str] = {
    "docker": "infra.providers.docker:DockerProvider",
}


def get_provider(name: str = "docker", **options) -> Provider:
    """Build the provider registered under `name`; an unknown name lists the known ones."""
    import importlib

    try:
        path = PROVIDERS[name]
    except KeyError:
        raise ValueError(f"unknown sandbox provider {name!r}; known: {', '.join(PROVIDERS)}") from None
    module, cls = path.split(":")
    return getattr(importlib.import_module(module), cls)(**options)
