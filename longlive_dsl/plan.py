"""The plan's facts as a person reads them: where scenes stop playing, chunks as video time, prompts in brief.

No display code lives here: `llv plan`'s table is drawn by longlive_dsl.tools.plan_view.
"""

from __future__ import annotations

from . import model
from .timeline import Scene, Timeline

PROMPT_WORDS_SHOWN = 9


def clock(chunk: int) -> str:
    """A session chunk as m:ss.s of video time (exact for any chunk count, however large)."""
    tenths = round(chunk * model.CHUNK_SECONDS * 10)
    minutes, tenths = divmod(tenths, 600)
    return f"{minutes}:{tenths // 10:02d}.{tenths % 10}"


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
    return placed_start(scene) + model.SCENE_BUDGET_CHUNKS


def scene_plays_until(tl: Timeline, scene: Scene) -> int:
    """Where a placed scene stops playing: its end, else `end at` for the last scene, else its completion."""
    completes = completes_at(scene)
    if scene.end is not None:
        return scene.end
    if scene is tl.scenes[-1] and tl.end is not None:
        return min(tl.end.chunks, completes)
    return completes
