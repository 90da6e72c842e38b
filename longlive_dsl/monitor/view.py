"""What the monitor page shows beside the picture: the plan once, then the run's state as it moves.

The plan is the timeline picture of `llv timeline` (tools/timeline_view.py) with a playhead drawn
over its lanes, the x position of every session chunk (so the page can move the playhead without
knowing the picture's scale), and the planned beats. The state is one small JSON object, rebuilt on
every event: connection status, the session chunk, the scene and its budget, the active prompt,
the next planned beat, the latest problems.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .. import model
from ..program import Program
from ..timeline import Timeline

PLAYHEAD_ID = "llv-playhead"
MAX_NOTES = 20
"""Problems and notes the state keeps (the newest); older ones are dropped from the page, not from the run."""
MAX_TEXT = 4000
"""Characters of one problem or note the page is sent."""


def beats_of(program: Program) -> list[dict[str, Any]]:
    """The Program's planned beats in session order: chunk, kind, prompt, scene number."""
    beats = [
        {"chunk": b.chunk, "kind": b.kind, "prompt": b.prompt, "scene": scene.number}
        for scene in program.scenes
        for b in scene.beats
    ]
    return sorted(beats, key=lambda b: b["chunk"])


def next_beat(beats: list[dict[str, Any]], chunks_done: int) -> dict[str, Any] | None:
    """The first planned beat still to come once `chunks_done` chunks are complete (None after the last).

    The chunk being generated is `chunks_done`, so a beat there is still to come; the opener at chunk 0
    is what plays from the start, never a beat to come.
    """
    for beat in beats:
        if beat["chunk"] >= max(chunks_done, 1):
            return beat
    return None


def plan_view(program: Program, timeline: Timeline | None, diagnostics: list[Any] | None = None) -> dict[str, Any]:
    """The plan as the page reads it: title, stop, budget, beats, and (with a Timeline) the picture and chunk positions."""
    view: dict[str, Any] = {
        "title": program.title or program.source,
        "stops_at": program.stops_at,
        "budget": model.SCENE_BUDGET_CHUNKS,
        "clock": program.clock.name,
        "fps": model.FPS,
        "beats": beats_of(program),
        "svg": None,
        "xs": [],
    }
    if timeline is not None:
        view["svg"], view["xs"] = picture(timeline, program.stops_at, diagnostics)
    return view


def picture(timeline: Timeline, stops_at: int, diagnostics: list[Any] | None = None) -> tuple[str, list[float]]:
    """The timeline SVG with a playhead at chunk 0, and the x of every chunk from 0 to past the stop."""
    from ..tools.timeline_view import INK, LANE, RULER, TOP, render_svg

    xs: list[float] = []
    last = max([stops_at] + [model.scene_completes_at(s.start) for s in timeline.scenes if s.start is not None])

    def draw(add: Any, x: Any, lane_tops: dict[int, float]) -> None:
        xs.extend(x(c) for c in range(last + 1))
        top = TOP + RULER - 8
        bottom = (max(lane_tops.values()) + LANE) if lane_tops else top + LANE
        add(f'<g id="{PLAYHEAD_ID}" data-chunk="0" pointer-events="none">'
            f'<line x1="{x(0)}" y1="{top}" x2="{x(0)}" y2="{bottom}" stroke="{INK}" stroke-width="2"/>'
            f'<path d="M{x(0) - 6} {top - 8} h12 l-6 8 z" fill="{INK}"/></g>')

    svg = render_svg(timeline, diagnostics or [], overlay=draw)
    return svg, xs


def _short(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


class RunState:
    """The run as the page sees it, updated by the Listener's calls (status, info, progress, problem)."""

    def __init__(self, program: Program) -> None:
        self.beats = beats_of(program)
        self.status = "disconnected"
        self.detail = ""
        self.progress: dict[str, Any] = {"chunks_done": 0, "chunk_in_scene": 0, "scene_number": None,
                                         "scene_name": None, "prompt": None, "stops_at": program.stops_at,
                                         "frames": 0}
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.ended = False
        self.version = 0

    def on_status(self, status: str, detail: str) -> None:
        """The connection state changed."""
        self.status, self.detail = status, _short(detail)
        self.version += 1

    def on_progress(self, progress: Any) -> None:
        """A chunk completed (`progress`: the session's Progress, or a dict of its fields)."""
        fields = progress if isinstance(progress, dict) else dataclasses.asdict(progress)
        self.progress.update({k: v for k, v in fields.items() if k in self.progress})
        self.version += 1

    def on_note(self, text: str) -> None:
        """Something worth knowing (`info`)."""
        self.notes = [*self.notes, _short(text)][-MAX_NOTES:]
        self.version += 1

    def on_problem(self, text: str) -> None:
        """A command error or other problem."""
        self.problems = [*self.problems, _short(text)][-MAX_NOTES:]
        self.version += 1

    def on_end(self) -> None:
        """The run is over."""
        self.ended = True
        self.version += 1

    def snapshot(self) -> dict[str, Any]:
        """The whole state as one JSON-ready object."""
        done = int(self.progress.get("chunks_done") or 0)
        return {
            "version": self.version,
            "status": self.status,
            "detail": self.detail,
            "progress": dict(self.progress),
            "budget": model.SCENE_BUDGET_CHUNKS,
            "next_beat": next_beat(self.beats, done),
            "problems": list(self.problems),
            "notes": list(self.notes),
            "ended": self.ended,
        }
