"""The schema of lab.yaml (format v1) and the size and duration syntax it uses.

pydantic models with unknown keys forbidden; the loader (grader.loader) turns their errors
into messages naming the file, the key and what was expected.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from grader.skills import SKILLS

FORMAT_VERSION = 1
# A lab or task id: also a folder name and part of URLs, so short and plain.
SLUG = r"^[a-z][a-z0-9-]{0,62}[a-z0-9]$"
_DURATION = re.compile(r"^(\d+)(s|m|h)$")
_SIZE = re.compile(r"^(\d+)([kmg])$", re.IGNORECASE)


def parse_duration(value: str | int) -> int:
    """Turn '20m', '90s', '1h' (or plain seconds) into seconds."""
    if isinstance(value, int) and value > 0:
        return value
    m = _DURATION.match(str(value))
    if not m:
        raise ValueError(f"expected a duration such as 90s, 20m or 1h, got {value!r}")
    return int(m.group(1)) * {"s": 1, "m": 60, "h": 3600}[m.group(2)]


def parse_size(value: str | int) -> int:
    """Turn '512m', '1g' (or plain bytes) into bytes."""
    if isinstance(value, int) and value > 0:
        return value
    m = _SIZE.match(str(value))
    if not m:
        raise ValueError(f"expected a size such as 256m or 1g, got {value!r}")
    return int(m.group(1)) * {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[m.group(2).lower()]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Resources(_Strict):
    cpus: Annotated[float, Field(gt=0, le=4)] = 1.0
    memory: str = "512m"
    pids: Annotated[int, Field(ge=32, le=4096)] = 512

    @field_validator("memory")
    @classmethod
    def _memory(cls, v: str) -> str:
        if parse_size(v) < 32 << 20:
            raise ValueError("expected at least 32m")
        return v

    @property
    def memory_bytes(self) -> int:
        return parse_size(self.memory)


class Host(_Strict):
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,30}$")]
    image: str | None = Field(default=None, pattern=r"^opslab/[a-z0-9][a-z0-9._-]*$")
    build: str | None = None
    resources: Resources = Resources()
    # Size-capped RAM file systems, {path: size}: a real "No space left on device" for a
    # disk-full lab, whatever the engine's storage driver can cap.
    tmpfs: dict[Annotated[str, Field(pattern=r"^/[A-Za-z0-9._/-]+$")], str] = {}
    # False for a service host the candidate only reaches over the lab's network (an
    # emulator, a CI server, a log collector): no terminal, no `opslab shell`.
    shell: bool = True
    # Before the final grade every process on the host is stopped and these commands, in order,
    # start the host's services (opslab.quiesce): the grade sees the services as their
    # configuration starts them and nothing of the candidate's running. `[]`: stop everything,
    # start nothing. Absent: the host keeps its processes (a lab that grades live process
    # state, such as a deleted file a daemon holds open, cannot be restarted first).
    services: Annotated[list[Annotated[str, Field(min_length=1, max_length=500)]], Field(max_length=10)] | None = None

    @field_validator("tmpfs")
    @classmethod
    def _tmpfs(cls, v: dict[str, str]) -> dict[str, str]:
        for size in v.values():
            if parse_size(size) > 1 << 30:
                raise ValueError(f"expected a tmpfs of at most 1g, got {size}")
        return v

    @model_validator(mode="after")
    def _image_or_build(self) -> Host:
        if (self.image is None) == (self.build is None):
            raise ValueError("expected exactly one of 'image' (opslab/<name>) or 'build' (./folder)")
        return self


def _must_be_unique(what: str, values: list[str]) -> None:
    dupes = sorted({v for v in values if values.count(v) > 1})
    if dupes:
        raise ValueError(f"{what} must be unique, repeated: {', '.join(dupes)}")


class Sandbox(_Strict):
    hosts: Annotated[list[Host], Field(min_length=1, max_length=8)]

    @field_validator("hosts")
    @classmethod
    def _unique(cls, hosts: list[Host]) -> list[Host]:
        _must_be_unique("host names", [h.name for h in hosts])
        if not any(h.shell for h in hosts):
            raise ValueError("expected at least one host the candidate gets a shell on (shell: true)")
        return hosts


class Task(_Strict):
    id: Annotated[str, Field(pattern=SLUG)]
    title: Annotated[str, Field(min_length=1)]
    points: Annotated[int, Field(ge=1, le=100)] = 1
    hints: list[str] = []


# A parameter's name: also part of an environment variable (OPSLAB_PARAM_<NAME>) and of a
# README placeholder ({{ params.<name> }}).
PARAM_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
# A value from a `choice:` list: safe unquoted in a shell word, a path or a README line.
PARAM_VALUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,63}$")


class IntRange(_Strict):
    min: Annotated[int, Field(ge=0, le=10**9)]
    max: Annotated[int, Field(ge=0, le=10**9)]

    @model_validator(mode="after")
    def _ordered(self) -> IntRange:
        if self.min >= self.max:
            raise ValueError(f"expected min below max, got min {self.min} and max {self.max}")
        return self


class Length(_Strict):
    length: Annotated[int, Field(ge=4, le=32)]


class Param(_Strict):
    """One per-attempt parameter: exactly one of `choice: [..]`, `int: {min, max}`,
    `word: {length}` (lowercase letters) or `hex: {length}` (0-9a-f)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    choice: Annotated[list[str | int], Field(min_length=2, max_length=100)] | None = None
    int_range: IntRange | None = Field(default=None, alias="int")
    word: Length | None = None
    hex: Length | None = None

    @field_validator("choice")
    @classmethod
    def _choices(cls, v: list[str | int] | None) -> list[str | int] | None:
        for value in v or []:
            if isinstance(value, bool) or not PARAM_VALUE.match(str(value)):
                raise ValueError(f"expected choices of 1-64 letters, digits and ._:/@+- (safe in a shell word), "
                                 f"starting with a letter or digit; got {value!r}")
        _must_be_unique("choices", [str(x) for x in v or []])
        return v

    @model_validator(mode="after")
    def _one_kind(self) -> Param:
        kinds = [k for k in ("choice", "int_range", "word", "hex") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("expected exactly one of choice: [..], int: {min, max}, word: {length} or hex: {length}")
        return self

    @property
    def kind(self) -> str:
        return "int" if self.int_range is not None else next(k for k in ("choice", "word", "hex")
                                                            if getattr(self, k) is not None)

    def size(self) -> int:
        """How many values a draw can give."""
        if self.choice is not None:
            return len(self.choice)
        if self.int_range is not None:
            return self.int_range.max - self.int_range.min + 1
        return (26 if self.word is not None else 16) ** (self.word or self.hex).length


class LabSpec(_Strict):
    """The schema of lab.yaml."""

    format: Literal[1] = 1
    id: Annotated[str, Field(pattern=SLUG)]
    title: Annotated[str, Field(min_length=1)]
    summary: str = ""
    skills: Annotated[list[str], Field(min_length=1)]
    difficulty: Literal["beginner", "intermediate", "advanced"]
    duration: str = "30m"
    check_timeout: str = "20s"
    warm_pool: Annotated[int, Field(ge=0, le=5)] = 0  # sandboxes the platform keeps set up ahead (webapp.pools)
    sandbox: Sandbox
    tasks: Annotated[list[Task], Field(min_length=1)]
    # Drawn per attempt (grader.params): the scripts get OPSLAB_PARAM_<NAME>, the checks the
    # `params` fixture, the README {{ params.<name> }}.
    params: Annotated[dict[str, Param], Field(max_length=16)] = {}

    @field_validator("skills")
    @classmethod
    def _skills(cls, skills: list[str]) -> list[str]:
        unknown = [s for s in skills if s not in SKILLS]
        if unknown:
            raise ValueError(f"unknown skill {unknown[0]!r}; expected one of: {', '.join(SKILLS)}")
        return skills

    @field_validator("duration", "check_timeout")
    @classmethod
    def _duration(cls, v: str) -> str:
        parse_duration(v)
        return v

    @field_validator("params")
    @classmethod
    def _param_names(cls, params: dict[str, Param]) -> dict[str, Param]:
        bad = [n for n in params if not PARAM_NAME.match(n)]
        if bad:
            raise ValueError(f"parameter name {bad[0]!r}: expected 1-32 lowercase letters, digits and _, "
                             "starting with a letter (it becomes OPSLAB_PARAM_<NAME> for the scripts)")
        return params

    @field_validator("tasks")
    @classmethod
    def _unique_tasks(cls, tasks: list[Task]) -> list[Task]:
        _must_be_unique("task ids", [t.id for t in tasks])
        return tasks
