"""The catalogue: the labs folder ($OPSLAB_LABS or labs/), lab ids, and lookup by id."""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

from grader.errors import LabNotFound
from grader.lab import Lab, lab_version
from grader.loader import load_lab
from grader.schema import SLUG


def labs_root() -> Path:
    """The catalogue folder: $OPSLAB_LABS, else labs/ beside this package."""
    env = os.environ.get("OPSLAB_LABS")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "labs"


def lab_ids(root: Path | None = None) -> list[str]:
    root = root or labs_root()
    return sorted(p.name for p in root.iterdir() if (p / "lab.yaml").is_file()) if root.is_dir() else []


def find_lab(lab_id: str, root: Path | None = None) -> Lab:
    """Load a lab of the catalogue by id (or by a path to its folder)."""
    return load_lab(_lab_path(lab_id, root))


def _lab_path(lab_id: str, root: Path | None) -> Path:
    root = root or labs_root()
    candidate = Path(lab_id)  # a path to a lab folder outside the catalogue (an author's draft)
    try:
        if candidate.is_dir() and (candidate / "lab.yaml").exists():
            return candidate
    except OSError:  # a name too long for the file system is no lab either
        pass
    if not re.match(SLUG, lab_id) or not (root / lab_id).is_dir():
        raise LabNotFound(lab_id, lab_ids(root))
    return root / lab_id


@functools.lru_cache(maxsize=256)
def _load_version(path: Path, version: str) -> Lab:
    return load_lab(path)


def find_lab_cached(lab_id: str, root: Path | None = None) -> Lab:
    """find_lab for hot paths (the web app polls): re-parsed only when the folder's hash changes.

    Hashing a lab folder costs ~1 ms; parsing and checking it ~15 ms.
    """
    path = _lab_path(lab_id, root).resolve()
    return _load_version(path, lab_version(path))
