"""Takes: which programs a command line asks for — files × variants × seeds — each with a predictable name.

`--seed 7`, `--seed 1..5` and `--seed 3,9` (or `1..3,9`) give the seeds; `--set name=value` the
define overrides. Nothing here plays anything: longlive_dsl.batch runs the takes.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from .program import Program

MAX_TAKES = 1000
"""Most takes one command line may ask for (a seed sweep is bounded before anything is compiled)."""

_RANGE = re.compile(r"\s*([-+]?\d+)\s*\.\.\s*([-+]?\d+)\s*")


def parse_seeds(text: str) -> list[int]:
    """The seeds of `--seed`: `7`, `1..5` (inclusive), `3,9`, or a mix (`1..3,9`); ValueError saying why not."""
    from .timeline import NumberError, parse_seed

    seeds: list[int] = []
    for part in text.split(","):
        m = _RANGE.fullmatch(part)
        try:
            if m:
                low, high = parse_seed(m.group(1)), parse_seed(m.group(2))
                if high < low:
                    raise ValueError(f"the range {part.strip()} runs backwards; write {high}..{low}")
                if high - low + 1 + len(seeds) > MAX_TAKES:
                    raise ValueError(f"{text!r} asks for more than {MAX_TAKES} seeds")
                seeds += range(low, high + 1)
            else:
                seeds.append(parse_seed(part.strip()))
        except NumberError as e:
            raise ValueError(f"{part.strip()!r}: {e.message}") from None
        if len(seeds) > MAX_TAKES:
            raise ValueError(f"{text!r} asks for more than {MAX_TAKES} seeds")
    return list(dict.fromkeys(seeds))  # each seed once, in the order given


def parse_set(text: str) -> tuple[str, str]:
    """`name=value` of `--set` (the shell has removed the quotes); ValueError saying why not."""
    name, eq, value = text.partition("=")
    name = name.strip()
    if not eq or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"expected NAME=VALUE with NAME a define's name, got {text!r}")
    if not value.strip():
        raise ValueError(f"--set {name}= gives an empty text; a prompt needs words")
    return name, value


@dataclass(frozen=True, slots=True)
class Take:
    """One program to play: its name (also its folder's name) and the Program."""

    name: str
    program: Program
    source: str  # the file it was compiled from
    variant: str | None = None
    seed: int | None = None
    defines: dict[str, str] = field(default_factory=dict)  # the storyboard's, in the order written


def take_name(path: str, variant: str | None, seed: int | None, sweep: bool) -> str:
    """A take's name: the file's stem, `@variant` when it has variants, `-seedN` in a seed sweep."""
    stem = os.path.splitext(os.path.basename(path))[0] or "stdin"
    name = stem + (f"@{variant}" if variant else "")
    return name + (f"-seed{seed}" if sweep and seed is not None else "")


def unique_names(takes: list[Take]) -> list[Take]:
    """The takes with names made unique (`a.llv` in two folders: `a`, `a-2`)."""
    import dataclasses

    seen: dict[str, int] = {}
    out = []
    for take in takes:
        n = seen.get(take.name, 0) + 1
        seen[take.name] = n
        out.append(take if n == 1 else dataclasses.replace(take, name=f"{take.name}-{n}"))
    return out
