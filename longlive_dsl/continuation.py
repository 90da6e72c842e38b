"""The rest of a plan from a session chunk: a Program for a new session that carries on where another stopped.

`llv direct` reconnects with it after a fault (from what the live session knew), and `llv run --from-chunk K`
plays it from a compiled plan. Chunk K becomes the new session's chunk 0: its opener is the prompt playing
at K (or the beat due exactly there), every beat still to come moves back by K, and the new session starts
a fresh scene budget at its chunk 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import model
from .program import (
    Beat,
    ClockProfile,
    Program,
    PromptData,
    SceneEntry,
    ScheduledPromptData,
    ScheduleSceneCut,
    ScheduleShot,
    SeedData,
    SetSeed,
    SetShot,
    SourceSpan,
    Start,
)


def continue_plan(program: Program, k: int, opener: str | None, pending: Sequence[tuple[int, str, str]],
                  seed: int | None) -> Program:
    """The Program that carries `program` on from session chunk `k`.

    `opener` is the prompt playing at chunk k; `pending` the beats still to come as (chunk, kind, prompt),
    chunk >= k; a beat due exactly at k becomes the opener. ValueError when nothing would play.
    """
    pending = sorted((c, kind, p) for c, kind, p in pending if c >= k)
    if pending and pending[0][0] == k:
        opener = pending.pop(0)[2]
    if opener is None:
        raise ValueError("nothing played yet: there is no plan to continue")
    span = SourceSpan(file=program.source, line=1, column=1, end_line=1, end_column=1)
    commands: list[Any] = []
    if seed is not None:
        commands.append(SetSeed(data=SeedData(seed=seed)))
    commands.append(SetShot(data=PromptData(prompt=opener)))
    scenes: list[dict[str, Any]] = [dict(number=1, name=None, start=0, end=None,
                                         completes_at=model.scene_completes_at(0), span=span,
                                         beats=[Beat(kind=model.OPENER, chunk=0, prompt=opener,
                                                     command_index=len(commands) - 1, span=span)])]
    for chunk, kind, prompt in pending:
        at = chunk - k
        data = ScheduledPromptData(prompt=prompt, at_session_chunk=at)
        commands.append(ScheduleSceneCut(data=data) if kind == model.CUT else ScheduleShot(data=data))
        beat = Beat(kind=model.CUT if kind == model.CUT else model.SHOT, chunk=at, prompt=prompt,
                    command_index=len(commands) - 1, span=span)
        if kind == model.CUT:
            scenes[-1]["end"] = at
            scenes.append(dict(number=len(scenes) + 1, name=None, start=at, end=None,
                               completes_at=model.scene_completes_at(at), span=span, beats=[beat]))
        else:
            scenes[-1]["beats"].append(beat)
    commands.append(Start())
    end = program.end - k if program.end is not None and program.end > k else None
    stops_at = min(end, scenes[-1]["completes_at"]) if end is not None else scenes[-1]["completes_at"]
    return Program(source=program.source, title=program.title, commands=commands, end=end,
                   stops_at=stops_at, clock=ClockProfile.model_validate(program.clock.model_dump()),
                   scenes=[SceneEntry(**s) for s in scenes], source_map=[])


def program_from_chunk(program: Program, k: int) -> Program:
    """A compiled plan carried on from session chunk `k` (`llv run --from-chunk K`); ValueError past its stop."""
    if not 0 <= k < program.stops_at:
        raise ValueError(f"chunk {k} is not in the plan (it plays chunks 0 to {program.stops_at - 1})")
    beats = sorted(((b.chunk, b.kind, b.prompt) for s in program.scenes for b in s.beats), key=lambda b: b[0])
    playing = [p for c, _, p in beats if c <= k]
    seed = next((c.data.seed for c in program.commands if isinstance(c, SetSeed)), None)
    return continue_plan(program, k, playing[-1] if playing else None, [b for b in beats if b[0] > k], seed)
