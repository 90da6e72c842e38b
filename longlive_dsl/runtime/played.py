"""What played in a session, read back from its trace: the one reader of the model's own messages.

`llv verify`, `llv take` and `llv report` all judge a take by what the model said, not by what was
sent: `state` (the seed), `chunk_complete` (the prompt each session chunk was made from, its index
in its scene, and `frames_emitted` so far), `scene_cut` (a cut fired, and on which chunk) and
`generation_reset` (the session starts over from chunk 0). A reset splits the session into
segments; the plan a run played is the first segment's, and `llv take` writes one storyboard each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import model


@dataclass(frozen=True)
class PlayedChunk:
    """One session chunk as `chunk_complete` reported it (None for a field it lacked or garbled)."""

    prompt: str | None
    index_in_scene: int | None
    frames_emitted: int | None


@dataclass
class Segment:
    """What played between two resets."""

    seed: int | None = None  # the seed in force when its first chunk was made
    chunks: dict[int, PlayedChunk] = field(default_factory=dict)  # session chunk -> what it was made from
    cuts: list[tuple[int, str | None]] = field(default_factory=list)  # (session chunk, prompt) per `scene_cut`

    @property
    def chunks_made(self) -> int:
        """Session chunks made (one past the last one reported)."""
        return max(self.chunks) + 1 if self.chunks else 0

    def prompts(self) -> dict[int, str]:
        """Session chunk -> the prompt it was made from, for the chunks that name one."""
        return {c: ch.prompt for c, ch in self.chunks.items() if ch.prompt is not None}

    def beats(self) -> list[tuple[str, int, str]]:
        """The beats that fired, as (kind, session chunk, prompt): the opener on chunk 0; a cut where
        the model said `scene_cut` there or its scene clock restarted; a shot where the prompt changed."""
        prompts = self.prompts()
        cut_at = dict(self.cuts)
        beats: list[tuple[str, int, str]] = []
        previous: str | None = None
        for chunk in sorted(prompts):
            prompt = prompts[chunk]
            if chunk == 0:
                beats.append((model.OPENER, 0, prompt))
            elif chunk in cut_at or self.chunks[chunk].index_in_scene == 0:
                beats.append((model.CUT, chunk, cut_at.get(chunk) or prompt))
            elif prompt != previous:
                beats.append((model.SHOT, chunk, prompt))
            previous = prompt
        return beats

    def frames_emitted(self) -> dict[int, int]:
        """Session chunk -> the session's frames emitted once it was made, for the chunks that say."""
        return {c: ch.frames_emitted for c, ch in self.chunks.items() if ch.frames_emitted is not None}


@dataclass
class Played:
    """A session's segments (at least one), and its `run` and `end` records when the trace has them."""

    segments: list[Segment]
    run: dict[str, Any] | None = None
    end: dict[str, Any] | None = None

    @property
    def first(self) -> Segment:
        """The segment the plan played (up to the first reset)."""
        return self.segments[0]


def application_message(record: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """(type, data) of the application-scope message in a `send` or `recv` record, else (None, {})."""
    frame = record.get("frame")
    if not isinstance(frame, dict) or frame.get("scope") != "application":
        return None, {}
    if record.get("kind") == "send":  # sent as the envelope {"scope", "data": {"type", "data"}}
        inner = frame.get("data")
        frame = inner if isinstance(inner, dict) else {}
    data = frame.get("data")
    kind = frame.get("type")
    return (kind if isinstance(kind, str) else None), (data if isinstance(data, dict) else {})


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def read_played(records: list[dict[str, Any]]) -> Played:
    """What the model said it played, from a trace as `read_trace` returns it."""
    played = Played([Segment()])
    for r in records:
        kind = r.get("kind")
        if kind == "run" and played.run is None:
            played.run = r
        elif kind == "end":
            played.end = r
        if kind != "recv":
            continue
        t, d = application_message(r)
        seg = played.segments[-1]
        if t == model.STATE and not seg.chunks and _int(d.get(model.SEED)) is not None:
            seg.seed = d[model.SEED]
        elif t == model.CHUNK_COMPLETE and _int(d.get(model.SESSION_CHUNK)) is not None:
            prompt = d.get(model.ACTIVE_PROMPT)
            seg.chunks[d[model.SESSION_CHUNK]] = PlayedChunk(
                prompt if isinstance(prompt, str) and prompt else None,
                _int(d.get(model.CHUNK_INDEX)),
                _int(d.get(model.FRAMES_EMITTED)),
            )
        elif t == model.SCENE_CUT_FIRED and _int(d.get(model.AT_SESSION_CHUNK)) is not None:
            prompt = d.get(model.PROMPT)
            seg.cuts.append((d[model.AT_SESSION_CHUNK], prompt if isinstance(prompt, str) else None))
        elif t == model.GENERATION_RESET:
            played.segments.append(Segment())
    return played
