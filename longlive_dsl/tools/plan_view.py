"""`llv plan`'s table: what plays when, scene by scene, with seconds and budgets (drawn with rich)."""

from __future__ import annotations

from typing import Any

from .. import model
from ..checks import firing_beats
from ..diagnostics import Diagnostic
from ..plan import clock, completes_at, first_words, scene_plays_until
from ..timeline import Timeline


def render_plan(tl: Timeline, diagnostics: list[Diagnostic], console: Any = None) -> None:
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
        used = min(end, completes_at(scene)) - scene.start
        table.add_section()
        table.add_row(
            f"[bold]{scene.index + 1}. {_shown(scene.name or '(unnamed)')}[/]",
            "", f"{scene.start}–{end - 1}", f"{clock(tl, scene.start)}–{clock(tl, end)}",
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
            row = ["", kind, chunk, "" if beat.start is None else clock(tl, beat.start), _shown(first_words(beat.prompt))]
            table.add_row(*row, style="red" if flagged else None)
    console.print(table)
    if not placed:
        console.print("end: unknown until every scene is placed (see the errors)")
        return
    stops, last_end = tl.stops_at, tl.end_chunk
    if stops is None:  # not reached: every scene is placed
        return
    if last_end is None or stops < last_end:
        why = "the model completes the last scene" + (f", before `end at {tl.end.written}`" if tl.end is not None else "")
    else:
        why = "end at" if tl.end is not None else "last scene's end"
    console.print(f"end: chunk {stops} ({why}) — total {stops} chunks, {clock(tl, stops)} of video "
                  f"({tl.frames_at(stops)} frames at {model.FPS} fps on the {tl.clock.name} clock: "
                  f"{tl.clock.describe()})")


def _shown(text: str) -> str:
    """User text for the table: control characters escaped, and no rich markup read into it."""
    from rich.markup import escape

    from ..diagnostics import printable

    return escape(printable(text))


def render_variants(timelines: list[Timeline], diagnostics: list[Diagnostic], console: Any = None) -> None:
    """Print a file's variants side by side: one column per variant, one row per scene of the longest."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console(highlight=False)
    first = timelines[0]
    table = Table(title=f"{_shown(first.title or first.file)} — {len(timelines)} variants", title_justify="left",
                  show_lines=True)
    table.add_column("", no_wrap=True)
    for tl in timelines:
        failing = any(d.is_error and d.variant in (None, tl.variant) for d in diagnostics)
        table.add_column(_shown(tl.variant or "") + (" [red](errors)[/]" if failing else ""))
    rows = max(len(tl.scenes) for tl in timelines)
    for i in range(rows):
        cells = [str(i + 1)]
        for tl in timelines:
            cells.append(_scene_cell(tl, tl.scenes[i]) if i < len(tl.scenes) else "")
        table.add_row(*cells)
    ends = ["end"]
    for tl in timelines:
        placed = all(s.start is not None for s in tl.scenes)
        stops = tl.stops_at if placed else None
        ends.append("?" if stops is None else f"chunk {stops}, {clock(tl, stops)} ({tl.frames_at(stops)} frames)")
    table.add_row(*ends)
    console.print(table)


def _scene_cell(tl: Timeline, scene: Any) -> str:
    """One scene in a variant's column: name, chunks and time, then its beats in brief."""
    name = f"[bold]{_shown(scene.name or '(unnamed)')}[/]"
    if scene.start is None:
        return f"{name}\n[red]unplaced[/]"
    end = scene_plays_until(tl, scene)
    lines = [f"{name}  {scene.start}–{end - 1}  {clock(tl, scene.start)}–{clock(tl, end)}"]
    for beat in scene.beats:
        chunk = "?" if beat.start is None else str(beat.start)
        lines.append(f"  {chunk:>3} {beat.kind}: {_shown(first_words(beat.prompt, 6))}")
    return "\n".join(lines)
