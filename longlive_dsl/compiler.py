"""Timeline -> Program: the wire commands in the order the model takes them, plus the plan around them."""

from __future__ import annotations

from typing import Any

from . import model
from .diagnostics import Span
from .program import ClockProfile, Program
from .timeline import CUT, Timeline, take_name


def _span(file: str, span: Span) -> dict[str, Any]:
    return {"file": file, "line": span.line, "column": span.column, "end_line": span.end_line,
            "end_column": span.end_column}


def build_program(tl: Timeline) -> Program:
    """Build the Program of a Timeline that resolved with no errors (the checks are not consulted)."""
    file = tl.file
    commands: list[dict[str, Any]] = []
    source_map: list[dict[str, Any]] = []

    def emit(kind: str, data: dict[str, Any], span: Span) -> int:
        source_map.append({"command_index": len(commands), "span": _span(file, span)})
        commands.append({"type": kind, "data": data})
        return len(commands) - 1

    beats = tl.beats
    if tl.seed is not None:  # a `--seed` given without a `seed` statement maps to the opener
        emit(model.SET_SEED, {model.SEED: tl.seed}, tl.seed_node.span if tl.seed_node is not None else beats[0].span)
    opener = beats[0]
    index_of = {id(opener): emit(model.SET_SHOT, {model.PROMPT: opener.prompt}, opener.span)}
    for beat in sorted(beats[1:], key=lambda b: b.start or 0):  # every beat is placed here
        kind = model.SCHEDULE_SCENE_CUT if beat.kind == CUT else model.SCHEDULE_SHOT
        index_of[id(beat)] = emit(kind, {model.PROMPT: beat.prompt, model.AT_SESSION_CHUNK: beat.start}, beat.span)
    emit(model.START, {}, tl.end_node.span if tl.end_node is not None else beats[-1].span)

    scenes = [
        dict(
            number=s.index + 1, name=s.name, start=s.start, end=s.end,
            completes_at=s.completes_at, span=_span(file, s.node.span),
            beats=[dict(kind=b.kind, chunk=b.start, prompt=b.prompt, command_index=index_of[id(b)],
                        span=_span(file, b.span)) for b in s.beats],
        )
        for s in tl.scenes
    ]
    stops_at = tl.stops_at
    if stops_at is None:
        raise ValueError("build_program needs a Timeline whose scenes are all placed")
    # One validation pass in pydantic's core is faster than constructing each model in Python.
    return Program.model_validate({
        "source": take_name(file, tl.variant), "title": tl.title, "commands": commands, "end": tl.end_chunk, "stops_at": stops_at,
        "clock": ClockProfile.of(tl.clock), "frames": tl.frames_at(stops_at),
        "scenes": scenes, "source_map": source_map,
    })
