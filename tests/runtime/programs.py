"""Hand-built Programs for the runtime tests (no compiler needed)."""

from __future__ import annotations

from pathlib import Path

from longlive_dsl import model
from longlive_dsl.program import (
    Beat,
    Program,
    PromptData,
    SceneEntry,
    ScheduledPromptData,
    ScheduleSceneCut,
    ScheduleShot,
    SeedData,
    SetSeed,
    SetShot,
    SourceMapEntry,
    SourceSpan,
    Start,
)

DEFAULT_BEATS = ((0, "opener", "a red fox in the snow"), (3, "shot", "the fox leaps"), (5, "cut", "a city at night"))


def make_program(
    beats: tuple[tuple[int, str, str], ...] = DEFAULT_BEATS,
    end: int | None = 8,
    seed: int = 7,
    file: str | Path = "story.llv",
) -> Program:
    """A Program as the compiler would build it: seed, opener, schedules, start; one .llv line per beat."""
    file = str(file)

    def span(line: int, width: int = 20) -> SourceSpan:
        return SourceSpan(file=file, line=line, column=1, end_line=line, end_column=1 + width)

    commands: list = [SetSeed(data=SeedData(seed=seed))]
    source_map = [SourceMapEntry(command_index=0, span=span(1, 6))]
    scenes: list[dict] = []
    for n, (chunk, kind, prompt) in enumerate(beats):
        if kind == "opener":
            commands.append(SetShot(data=PromptData(prompt=prompt)))
        elif kind == "shot":
            commands.append(ScheduleShot(data=ScheduledPromptData(prompt=prompt, at_session_chunk=chunk)))
        else:
            commands.append(ScheduleSceneCut(data=ScheduledPromptData(prompt=prompt, at_session_chunk=chunk)))
        index = len(commands) - 1
        source_map.append(SourceMapEntry(command_index=index, span=span(n + 2)))
        beat = Beat(kind=kind, chunk=chunk, prompt=prompt, command_index=index, span=span(n + 2))
        if kind in ("opener", "cut"):
            scenes.append(
                dict(number=len(scenes) + 1, name=f"s{len(scenes) + 1}", start=chunk, end=None,
                     completes_at=chunk + model.SCENE_BUDGET_CHUNKS, beats=[beat], span=span(n + 2))
            )
        else:
            scenes[-1]["beats"].append(beat)
    commands.append(Start())
    for a, b in zip(scenes, scenes[1:], strict=False):
        a["end"] = b["start"]
    stops_at = end if end is not None else scenes[-1]["completes_at"]
    return Program(
        source=file, commands=commands, end=end, stops_at=stops_at,
        scenes=[SceneEntry(**s) for s in scenes], source_map=source_map,
    )


def write_source(path: Path, beats: tuple[tuple[int, str, str], ...] = DEFAULT_BEATS) -> Path:
    """A .llv-looking file whose line n+2 is beat n (what make_program's spans point at)."""
    lines = ["seed 7"] + [f'at {c} {k} "{p}"' for c, k, p in beats]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_program(folder: Path, beats: tuple[tuple[int, str, str], ...], end: int | None, stem: str = "story") -> Path:
    """FOLDER/STEM.program.json, a compiled Program of `beats` up to `end`, its spans in FOLDER/STEM.llv."""
    src = write_source(folder / f"{stem}.llv", beats)
    path = folder / f"{stem}.program.json"
    path.write_text(make_program(beats, end=end, file=src).model_dump_json())
    return path


def recv(type_: str, **data) -> dict:
    """A trace record of a message the model sent on the data channel."""
    return {"kind": "recv", "channel": "data", "frame": {"scope": "application", "type": type_, "data": data}}
