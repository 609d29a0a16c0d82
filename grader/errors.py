"""Errors the grader raises: each names the lab file, the key and what was expected."""

from __future__ import annotations


class LabError(Exception):
    """A lab folder is malformed: bad lab.yaml, a missing file, a check that does not import.

    It is the author's problem, never the candidate's, so it carries where to look.
    """

    def __init__(self, file: str, message: str, key: str | None = None):
        self.file = file
        self.key = key
        self.message = message
        where = f"{file}: {key}" if key else file
        super().__init__(f"{where}: {message}")


class LabFormatError(LabError):
    """lab.yaml or the folder layout does not follow format v1 (may hold several problems)."""

    def __init__(self, problems: list[LabError]):
        self.problems = problems
        first = problems[0]
        super().__init__(first.file, first.message, first.key)
        self.args = ("\n".join(str(p) for p in problems),)

    def __str__(self) -> str:
        return self.args[0]


class LabNotFound(Exception):
    """No lab with that id in the catalogue."""

    def __init__(self, lab_id: str, known: list[str]):
        self.lab_id = lab_id
        hint = ", ".join(known) if known else "(the catalogue is empty)"
        shown = lab_id if len(lab_id) <= 80 else lab_id[:80] + "…"
        super().__init__(f"no lab named {shown!r}; known labs: {hint}")
