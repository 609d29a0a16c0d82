"""`opslab` command line, split by audience: authors (lab list/show/validate/new), candidates
(lab start, shell, check, stop), operators (images, sandboxes, platform, database), admins
(users, teams) and hiring teams (assessments). Every command is a thin wrapper over a plain
function (opslab.engine, webapp)."""

from opslab.cli import admins, authors, candidates, operators, reviewers  # noqa: F401 - they register commands
from opslab.cli.app import main

__all__ = ["main"]
