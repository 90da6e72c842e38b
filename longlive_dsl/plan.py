"""The plan's facts as a person reads them: where scenes stop playing, chunks as video time, prompts in brief.

No display code lives here: `llv plan`'s table is drawn by longlive_dsl.tools.plan_view.
"""

from __future__ import annotations

from . import model
from .timeline import Scene, Timeline, timecode

PROMPT_WORDS_SHOWN = 9


def clock(tl: Timeline, chunk: int) -> str:
    """A session chunk boundary as m:ss.s of video time, on the timeline's clock."""
    return timecode(tl.seconds_at(chunk))


def first_words(prompt: str, n: int = PROMPT_WORDS_SHOWN) -> str:
    """The first `n` words of a prompt, with an ellipsis when there are more."""
    words = prompt.split()
    return " ".join(words[:n]) + (" …" if len(words) > n else "")


def placed_start(scene: Scene) -> int:
    """Where a placed scene starts (ValueError for a scene whose start could not be derived)."""
    if scene.start is None:
        raise ValueError(f"{scene.label} is not placed")
    return scene.start


def completes_at(scene: Scene) -> int:
    """Where the model completes a placed scene (its start + 48), as an int."""
    return model.scene_completes_at(placed_start(scene))


def scene_plays_until(tl: Timeline, scene: Scene) -> int:
    """Where a placed scene stops playing (Timeline.plays_until: the run's one stop point for the last scene)."""
    until = tl.plays_until(scene)
    if until is None:
        raise ValueError(f"{scene.label} is not placed")
    return until
