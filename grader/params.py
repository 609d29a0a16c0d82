"""Per-attempt lab parameters: draw them from a seed, hand them to scripts, fill the README.

A lab declares `params:` in lab.yaml (grader.schema.Param); each attempt draws its own values
from a seed (the engine uses the session id, a secret token), so two candidates rarely share
an answer. A draw is a pure function of (specs, seed): every process that knows the seed gets
the same values, and a failing draw is reproduced from its seed.
"""

from __future__ import annotations

import hashlib
import re
import string

from grader.schema import Param

Value = str | int
ENV_PREFIX = "OPSLAB_PARAM_"
# {{ params.name }} in a README (spaces inside the braces optional).
PLACEHOLDER = re.compile(r"\{\{\s*params\.([A-Za-z0-9_]+)\s*\}\}")


class ParamError(ValueError):
    """Given values that do not fit a lab's parameters (names the parameter)."""


def _below(seed: str, name: str, i: int, n: int) -> int:
    """A number in [0, n) from the seed, the parameter's name and a counter (sha256: stable
    across Python versions and independent per parameter)."""
    digest = hashlib.sha256(f"{seed}\0{name}\0{i}".encode()).digest()
    return int.from_bytes(digest, "big") % n


def draw_one(name: str, spec: Param, seed: str) -> Value:
    if spec.choice is not None:
        return spec.choice[_below(seed, name, 0, len(spec.choice))]
    if spec.int_range is not None:
        lo, hi = spec.int_range.min, spec.int_range.max
        return lo + _below(seed, name, 0, hi - lo + 1)
    alphabet, length = ((string.ascii_lowercase, spec.word.length) if spec.word is not None
                        else ("0123456789abcdef", spec.hex.length))
    return "".join(alphabet[_below(seed, name, i, len(alphabet))] for i in range(length))


def draw(specs: dict[str, Param], seed: str) -> dict[str, Value]:
    """One value per parameter, in lab.yaml order, from `seed`."""
    return {name: draw_one(name, spec, seed) for name, spec in specs.items()}


def fits(spec: Param, value: Value) -> bool:
    """Could a draw of `spec` give `value`?"""
    if spec.choice is not None:
        return value in spec.choice
    if spec.int_range is not None:
        return isinstance(value, int) and not isinstance(value, bool) and spec.int_range.min <= value <= spec.int_range.max
    alphabet, length = ((string.ascii_lowercase, spec.word.length) if spec.word is not None
                        else ("0123456789abcdef", spec.hex.length))
    return isinstance(value, str) and len(value) == length and set(value) <= set(alphabet)


def complete(specs: dict[str, Param], given: dict[str, Value], seed: str) -> dict[str, Value]:
    """`given` values (e.g. `opslab lab start --param port=8080`) with the rest drawn from
    `seed`; ParamError names an unknown parameter or a value a draw could not give."""
    unknown = sorted(set(given) - set(specs))
    if unknown:
        raise ParamError(f"unknown parameter {unknown[0]!r}; this lab's parameters: {', '.join(specs) or '(none)'}")
    out = draw(specs, seed)
    for name, value in given.items():
        spec = specs[name]
        if spec.int_range is not None and isinstance(value, str) and value.isdigit():
            value = int(value)
        elif spec.choice is not None and value not in spec.choice and str(value) in map(str, spec.choice):
            value = next(c for c in spec.choice if str(c) == str(value))
        if not fits(spec, value):
            raise ParamError(f"parameter {name!r}: {value!r} is not a value it can take ({describe(spec)})")
        out[name] = value
    return out


def describe(spec: Param) -> str:
    """What a parameter can take, in words (`lab show`, errors)."""
    if spec.choice is not None:
        return "one of " + ", ".join(map(str, spec.choice))
    if spec.int_range is not None:
        return f"a number from {spec.int_range.min} to {spec.int_range.max}"
    if spec.word is not None:
        return f"{spec.word.length} lowercase letters"
    return f"{spec.hex.length} hex digits"


def env(values: dict[str, Value]) -> dict[str, str]:
    """The variables lab scripts get: OPSLAB_PARAM_<NAME>=value."""
    return {ENV_PREFIX + name.upper(): str(value) for name, value in values.items()}


def placeholders(text: str) -> list[str]:
    """The parameter names a README's {{ params.<name> }} placeholders use, in order."""
    return list(dict.fromkeys(PLACEHOLDER.findall(text)))


def fill(text: str, values: dict[str, Value]) -> str:
    """A README with its placeholders replaced by this attempt's values (unknown ones kept)."""
    return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), text)


def distinct_draws(specs: dict[str, Param], seeds: list[str], want: int) -> list[tuple[str, dict[str, Value]]]:
    """Up to `want` (seed, values) pairs with different values, from `seeds` in order
    (`opslab lab validate` proves several draws)."""
    found: list[tuple[str, dict[str, Value]]] = []
    for seed in seeds:
        values = draw(specs, seed)
        if all(values != v for _, v in found):
            found.append((seed, values))
        if len(found) == want:
            break
    return found
