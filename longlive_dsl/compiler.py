"""Timeline -> Program: the wire commands in the order the model takes them, plus the plan around them."""

from __future__ import annotations

from . import model
from .diagnostics import Span
from .program import (
    Beat as PlannedBeat,
    EmptyData,
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
from .timeline import CUT, OPENER, Timeline


def _source_span(file: str, span: Span) -> SourceSpan:
    return SourceSpan.model_construct(file=file, line=span.line, column=span.column,
                                      end_line=span.end_line, end_column=span.end_column)


def stop_chunk(tl: Timeline) -> tuple[int | None, int]:
    """(end, stops_at): the explicit or derived end, and the chunk count at which the run stops."""
    last = tl.scenes[-1]
    if tl.end is not None:
        end = tl.end.chunks
    else:
        end = last.end
    stops = end if end is not None else last.completes_at
    return end, min(stops, last.completes_at) if tl.end is None else stops


def build_program(tl: Timeline) -> Program:
    """Build the Program of a Timeline that resolved with no errors (the checks are not consulted)."""
    file = tl.file
    commands: list = []
    source_map: list[SourceMapEntry] = []

    def emit(command, span: Span) -> int:
        commands.append(command)
        source_map.append(SourceMapEntry.model_construct(command_index=len(commands) - 1,
                                                         span=_source_span(file, span)))
        return len(commands) - 1

    if tl.seed is not None:
        emit(SetSeed.model_construct(type=model.SET_SEED, data=SeedData.model_construct(seed=tl.seed)),
             tl.seed_node.span)
    beats = tl.beats
    opener = beats[0]
    index_of = {id(opener): emit(SetShot.model_construct(type=model.SET_SHOT,
                                                         data=PromptData.model_construct(prompt=opener.prompt)),
                                 opener.span)}
    for beat in sorted(beats[1:], key=lambda b: b.start):
        data = ScheduledPromptData.model_construct(prompt=beat.prompt, at_session_chunk=beat.start)
        if beat.kind == CUT:
            command = ScheduleSceneCut.model_construct(type=model.SCHEDULE_SCENE_CUT, data=data)
        else:
            command = ScheduleShot.model_construct(type=model.SCHEDULE_SHOT, data=data)
        index_of[id(beat)] = emit(command, beat.span)
    last_span = tl.end_node.span if tl.end_node is not None else beats[-1].span
    emit(Start.model_construct(type=model.START, data=EmptyData.model_construct()), last_span)

    scenes = [
        SceneEntry.model_construct(
            number=s.index + 1, name=s.name, start=s.start, end=s.end, completes_at=s.completes_at,
            span=_source_span(file, s.node.span),
            beats=[PlannedBeat.model_construct(kind=b.kind if b.kind != OPENER else "opener", chunk=b.start,
                                               prompt=b.prompt, command_index=index_of[id(b)],
                                               span=_source_span(file, b.span)) for b in s.beats],
        )
        for s in tl.scenes
    ]
    end, stops_at = stop_chunk(tl)
    return Program.model_construct(
        format="llv-program/1", source=file, title=tl.title, commands=commands, end=end, stops_at=stops_at,
        scenes=scenes, source_map=source_map,
    )
