"""Looking at a take: the animatic before a run (animatic.py), the report (report.py) and clips (clips.py).

What the three share lives here: which chunk clock a storyboard plays on, where each session chunk
starts in a video, and which chunk each frame of a stamped video belongs to. A trace is read with
runtime.trace.read_trace (its records as plain dicts).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import model


def storyboard_clock(program: Any = None) -> model.Clock:
    """The chunk clock a storyboard plays on: the one its Program was compiled on (`--clock` compiles on
    another), else the default profile (no Program: a report on a trace alone)."""
    carried = getattr(program, "clock", None)
    return carried.as_clock() if carried is not None else model.DEFAULT_CLOCK


def planned_chunk_frames(clock: model.Clock, scene_starts: Sequence[int], chunks: int) -> list[int]:
    """The first video frame of each of the first `chunks` session chunks (plus where the last one ends)."""
    starts = sorted(set(scene_starts) | {0})
    return [clock.session_frames(starts, c) for c in range(chunks + 1)]


def stamp_chunks(stamps: Sequence[Any]) -> list[int] | None:
    """The session chunk of each frame of a video by its stamp (`sim.frames.Stamp` or None), or None when
    fewer than half the frames (or none) carry a readable one (a video without stamps: the hosted model's).

    A frame whose stamp did not survive the codecs belongs to the chunk of the frame before it.
    """
    readable = sum(1 for s in stamps if s is not None)
    if not readable or readable < len(stamps) // 2:
        return None
    chunks, current = [], 0
    for s in stamps:
        current = s.session_chunk if s is not None else current
        chunks.append(current)
    return chunks
