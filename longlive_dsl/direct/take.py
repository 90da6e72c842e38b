"""A take: what actually played in a session, read back from its trace and written as a storyboard.

The evidence is what the model said (read by `runtime/played.py`, as for `llv verify`): `state`
(the seed), `chunk_complete` (which prompt each session chunk was made from), `scene_cut` (a cut
fired, and where) and `generation_reset` (the take starts over). Every beat lands at the chunk where it fired, whether it
was planned or fired live; pauses leave no trace in the chunk clock, so they drop out. A reset splits
the take into segments: the first is written to the file asked for, each later one beside it
(`take.llv`, `take-2.llv`, `take-3.llv`, ...). A segment in which no chunk was made is left out.

Replaying a take (`llv run take.llv`, same simulator settings) fires every beat on the same chunk and
so produces the same frames.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from .. import model
from ..output import write_text
from ..runtime.played import Segment as PlayedSegment
from ..runtime.played import read_played

SUPPRESSIBLE = ("W601", "W602", "W605")
"""Warnings about a take's prompts or cut edges that say nothing about the take being faithful:
they are suppressed in the file (with a comment saying so) so that it lints clean."""


@dataclass
class TakeBeat:
    """A beat as it fired: `opener`, `shot` or `cut`, at session chunk `chunk`."""

    kind: str
    chunk: int
    prompt: str


@dataclass
class Segment:
    """What played between two resets: the seed, the beats in order and the chunks made."""

    seed: int | None = None
    beats: list[TakeBeat] = field(default_factory=list)
    chunks: int = 0


@dataclass
class Take:
    """A session's take: its clock profile and its segments (one per reset, empty ones left out)."""

    clock: str
    segments: list[Segment]
    source: str | None = None


def _segment(played: PlayedSegment) -> Segment:
    """A played segment as beats, each at the chunk where it fired."""
    prompts = played.prompts()
    beats = [TakeBeat(kind, chunk, prompt) for kind, chunk, prompt in played.beats()]
    return Segment(played.seed, beats, max(prompts) + 1 if prompts else 0)


def read_take(records: list[dict[str, Any]]) -> Take:
    """The take a trace (as `read_trace` returns it) shows."""
    played = read_played(records)
    run = played.run or {}
    segments = [_segment(seg) for seg in played.segments]
    return Take(run.get("clock") or model.DEFAULT_CLOCK.name, [s for s in segments if s.chunks > 0], run.get("file"))


def _string(text: str) -> str:
    from ..tools.interchange import quote

    return f'"{quote(" ".join(text.split()))}"'


def storyboard(segment: Segment, clock: str, note: str) -> str:
    """One segment as .llv text: seed, opener, every beat at its chunk, `end at` the chunks made."""
    lines = [f"# {note}", 'title "take"', f"clock {clock}"]
    if segment.seed is not None:
        lines.append(f"seed {segment.seed}")
    for beat in segment.beats:
        if beat.kind == model.OPENER:
            lines += ["", "scene", f"  shot {_string(beat.prompt)}"]
        elif beat.kind == model.CUT:
            lines += ["", f"scene at {beat.chunk}", f"  shot {_string(beat.prompt)}"]
        else:
            lines.append(f"  shot at {beat.chunk} {_string(beat.prompt)}")
    lines += ["", f"end at {segment.chunks}"]
    text = "\n".join(lines) + "\n"
    return _lint_clean(text)


def _lint_clean(text: str) -> str:
    """Suppress the take's prompt-wording warnings (SUPPRESSIBLE) so that the file lints clean."""
    from .. import analyse

    result = analyse(text, "take.llv")
    codes = sorted({d.code for d in result.diagnostics if d.code in SUPPRESSIBLE})
    if not codes:
        return text
    head, _, rest = text.partition("\n")
    return (f"{head}\n# prompts as they were typed, cuts where they fired: wording warnings are off\n"
            f"# llv: ignore-file[{', '.join(codes)}]\n{rest}")


def take_paths(out: str) -> list[str]:
    """Where the segments go: `out`, then `out` with `-2`, `-3`, ... before its extension."""
    stem, ext = os.path.splitext(out)
    return [out] + [f"{stem}-{n}{ext or '.llv'}" for n in range(2, 1000)]


def write_take(take: Take, out: str, trace_name: str) -> list[str]:
    """Write each segment (atomically: a temporary file renamed); the paths written."""
    written = []
    total = len(take.segments)
    for i, (segment, path) in enumerate(zip(take.segments, take_paths(out), strict=False)):
        part = f" (segment {i + 1} of {total}: a reset started the take over)" if total > 1 else ""
        note = f"the take of {take.source or 'a session'}, read from {os.path.basename(trace_name)}{part}"
        text = storyboard(segment, take.clock, note)
        write_text(path, text)
        written.append(path)
    return written
