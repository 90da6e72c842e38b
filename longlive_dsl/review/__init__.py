"""Looking at a take: the animatic before a run (animatic.py), the report (report.py) and clips (clips.py).

What the three share lives here: which chunk clock a storyboard plays on, how a trace is read, and
where each session chunk starts in a video.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from .. import model


def storyboard_clock(program: Any = None) -> model.Clock:
    """The chunk clock a storyboard plays on: the one its Program was compiled on (`--clock` compiles on
    another), else the default profile (no Program: a report on a trace alone)."""
    carried = getattr(program, "clock", None)
    return carried.as_clock() if carried is not None else model.DEFAULT_CLOCK


def read_records(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The records of a trace as `llv run --trace` writes them (the one reader for this package)."""
    from ..runtime.trace import read_trace

    return read_trace(path)


def planned_chunk_frames(clock: model.Clock, scene_starts: Sequence[int], chunks: int) -> list[int]:
    """The first video frame of each of the first `chunks` session chunks (plus where the last one ends)."""
    starts = sorted(set(scene_starts) | {0})
    return [clock.session_frames(starts, c) for c in range(chunks + 1)]
