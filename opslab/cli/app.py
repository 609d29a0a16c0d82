"""The `opslab` group, shared helpers, and the one way every command reports an error.

Errors print `error: ...` with what to do next and exit 1; `-v` shows tracebacks.
"""

from __future__ import annotations

import sys
from functools import wraps

import click

from opslab.engine import KNOWN_ERRORS


def err(msg: str) -> None:
    click.echo(msg, err=True)


def fail(msg: str) -> None:
    """Print `error: msg` (msg says what to do next) and exit 1."""
    err(f"error: {msg}")
    sys.exit(1)


def table(rows: list[list[str]], headers: list[str]) -> str:
    """A plain aligned text table (no colour: pipes and CI logs read it too)."""
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=True)]
    line = lambda r: "  ".join(str(x).ljust(w) for x, w in zip(r, widths, strict=True)).rstrip()  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def handle_errors(fn):
    """Known errors become `error: …` and exit 1 (tracebacks only with -v)."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        ctx = click.get_current_context()
        try:
            return fn(*args, **kwargs)
        except KNOWN_ERRORS as e:
            if ctx.find_root().params.get("verbose"):
                raise
            fail(str(e))

    return wrapper


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks on errors.")
def main(verbose: bool) -> None:
    """opslab: hands-on infrastructure labs in throwaway sandboxes, graded task by task."""


@main.group()
def lab() -> None:
    """Browse, validate and start labs (the catalogue is labs/, or $OPSLAB_LABS)."""
