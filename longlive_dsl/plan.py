"""The plan as a person reads it: what plays when, scene by scene, with seconds and budgets."""

from __future__ import annotations

from . import model
from .checks import firing_beats
from .compiler import stop_chunk
from .diagnostics import Diagnostic
from .timeline import Timeline

PROMPT_WORDS_SHOWN = 9


def clock(chunk: int) -> str:
    """A session chunk as m:ss.s of video time."""
    seconds = float(chunk * model.CHUNK_SECONDS)
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


def first_words(prompt: str, n: int = PROMPT_WORDS_SHOWN) -> str:
    words = prompt.split()
    return " ".join(words[:n]) + (" …" if len(words) > n else "")


def scene_plays_until(tl: Timeline, scene) -> int:
    """Where a placed scene stops playing: its end, else `end at` for the last scene, else its completion."""
    if scene.end is not None:
        return scene.end
    if scene is tl.scenes[-1] and tl.end is not None:
        return min(tl.end.chunks, scene.completes_at)
    return scene.completes_at


def render_plan(tl: Timeline, diagnostics: list[Diagnostic], console=None) -> None:
    """Print the plan table to the console (stdout by default)."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console(highlight=False)
    problems = {(d.span.line, d.span.column) for d in diagnostics if d.is_error}
    placed = all(s.start is not None for s in tl.scenes)
    # Which beats never fire is only known once every scene is placed.
    fires_of = {id(beat): fires or not placed for beat, fires in zip(tl.beats, firing_beats(tl), strict=True)}
    table = Table(title=f"{_shown(tl.title or tl.file)} — plan", title_justify="left", show_lines=False)
    for column in ("scene", "beat", "chunk", "time", "prompt"):
        table.add_column(column, no_wrap=column != "prompt")
    budget = model.SCENE_BUDGET_CHUNKS
    for scene in tl.scenes:
        if scene.start is None:
            continue
        end = scene_plays_until(tl, scene)
        used = min(end, scene.completes_at) - scene.start
        table.add_section()
        table.add_row(
            f"[bold]{scene.index + 1}. {_shown(scene.name or '(unnamed)')}[/]",
            "", f"{scene.start}–{end - 1}", f"{clock(scene.start)}–{clock(end)}",
            f"[dim]budget {used} of {budget} chunks; completes at chunk {scene.completes_at}[/]",
        )
        for beat in scene.beats:
            fires = fires_of[id(beat)]
            flagged = (beat.position_span.line, beat.position_span.column) in problems or not fires
            if beat.start is None:
                kind = f"{beat.kind} [red](unplaced)[/]"
            else:
                kind = beat.kind if fires else f"{beat.kind} [red](never fires)[/]"
            chunk = "?" if beat.start is None else str(beat.start)
            row = ["", kind, chunk, "" if beat.start is None else clock(beat.start), _shown(first_words(beat.prompt))]
            table.add_row(*row, style="red" if flagged else None)
    console.print(table)
    if not placed:
        console.print("end: unknown until every scene is placed (see the errors)")
        return
    end, stops = stop_chunk(tl)
    why = "end at" if tl.end is not None else ("last scene's end" if end is not None else "the model completes the last scene")
    console.print(f"end: chunk {stops} ({why}) — total {stops} chunks, {clock(stops)} of video "
                  f"({stops * model.FRAMES_PER_CHUNK} frames at {model.FPS} fps)")


def _shown(text: str) -> str:
    """User text for the table: control characters escaped, and no rich markup read into it."""
    from rich.markup import escape

    from .diagnostics import printable

    return escape(printable(text))
