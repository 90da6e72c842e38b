"""The plan as a picture: an SVG (or an HTML page around it) of what plays when.

A chunk ruler with seconds; one lane per scene showing its 48-chunk budget (the part the scene
uses, the rest it leaves, and any part past the budget that never plays); beats as ticks with their
prompts on hover (`<title>`); the end marker; problems (diagnostics) outlined where they are.
Self-contained: no scripts, fonts or images from anywhere else.
"""

from __future__ import annotations

import bisect
import html
import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from .. import model
from ..checks import firing_beats
from ..diagnostics import ERROR, NOTE, WARNING, Diagnostic, sort_key
from ..plan import clock, completes_at, placed_start
from ..timeline import CUT, OPENER, SHOT, Beat, Scene, Timeline

BUDGET = model.SCENE_BUDGET_CHUNKS

# Layout, in SVG user units (pixels at 100 %).
LEFT = 170  # scene names
RIGHT = 40
TOP = 56  # title and summary
RULER = 44
LANE = 40
TARGET_WIDTH = 900

SCENE_COLOURS = ["#4e79a7", "#59a14f", "#b07aa1", "#f28e2b", "#76b7b2", "#edc948", "#9c755f", "#e15759"]
KIND_COLOURS = {OPENER: "#1b1b1b", CUT: "#1b1b1b", SHOT: "#3a3a3a"}
SEVERITY_COLOURS = {ERROR: "#d62728", WARNING: "#e8a317", NOTE: "#2a7fb8"}
INK = "#222222"
MUTED = "#6b6b6b"


def _e(text: object) -> str:
    """User text for SVG/HTML: control characters escaped (XML forbids most of them), then entities."""
    from ..diagnostics import printable

    return html.escape(printable(str(text)), quote=True)


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


@dataclass
class _Placed:
    """Which diagnostics land on which drawn thing."""

    beats: dict[int, list[Diagnostic]]  # id(beat) -> diagnostics
    scenes: dict[int, list[Diagnostic]]  # scene index -> diagnostics
    end: list[Diagnostic]
    elsewhere: list[Diagnostic]


def _inside(d: Diagnostic, start: int, end: int) -> bool:
    return start <= d.span.start < max(end, start + 1)


def _find(items: list, starts: list[int], d: Diagnostic):
    """The item (sorted by source start) whose source span holds the diagnostic's start, if any."""
    i = bisect.bisect_right(starts, d.span.start) - 1
    if i >= 0 and _inside(d, items[i].node.span.start, items[i].node.span.end):
        return items[i]
    return None


def _place(tl: Timeline, diagnostics: list[Diagnostic]) -> _Placed:
    placed = _Placed({}, {}, [], [])
    beats = sorted((b for b in tl.beats if b.start is not None), key=lambda b: b.node.span.start)
    beat_starts = [b.node.span.start for b in beats]
    scenes = sorted((s for s in tl.scenes if s.start is not None), key=lambda s: s.node.span.start)
    scene_starts = [s.node.span.start for s in scenes]
    for d in sorted(diagnostics, key=sort_key):
        beat = _find(beats, beat_starts, d)
        if beat is not None:
            placed.beats.setdefault(id(beat), []).append(d)
            continue
        scene = _find(scenes, scene_starts, d)
        if scene is not None:
            placed.scenes.setdefault(scene.index, []).append(d)
            continue
        if tl.end_node is not None and _inside(d, tl.end_node.span.start, tl.end_node.span.end):
            placed.end.append(d)
            continue
        placed.elsewhere.append(d)
    return placed


def _worst(diags: list[Diagnostic]) -> str | None:
    for sev in (ERROR, WARNING, NOTE):
        if any(d.severity == sev for d in diags):
            return sev
    return None


def _worst_colour(diags: list[Diagnostic]) -> str:
    """The colour of the worst severity among diagnostics (ink when there are none)."""
    worst = _worst(diags)
    return INK if worst is None else SEVERITY_COLOURS[worst]


def _diag_text(diags: list[Diagnostic]) -> str:
    return "\n".join(f"{d.severity}[{d.code}] line {d.span.line}: {d.message}" for d in diags)


def _scene_end(tl: Timeline, scene: Scene, start: int, stop: int | None) -> int:
    """Where a scene (placed at `start`) ends, for drawing: its end, else the next scene's start, else the stop."""
    if scene.end is not None:
        return scene.end
    later = [s.start for s in tl.scenes[scene.index + 1 :] if s.start is not None]
    if later:
        return later[0]
    if stop is not None and stop > start:
        return stop
    return start + BUDGET


MAX_PLOT_WIDTH = 12_000
"""Widest the chunk axis is drawn (pixels); a longer storyboard gets fewer pixels per chunk."""


def _scale(horizon: int) -> Fraction:
    """Pixels per chunk: 2 to 24, fitting TARGET_WIDTH when it can, and never wider than MAX_PLOT_WIDTH in all."""
    scale = min(Fraction(24), max(Fraction(2), Fraction(TARGET_WIDTH, horizon)))
    return min(scale, Fraction(MAX_PLOT_WIDTH, horizon))


def _px(chunks: int, scale: Fraction) -> float:
    """A chunk count in pixels (exact arithmetic, so any count that fits the picture converts)."""
    return float(chunks * scale)


def _tick_step(scale: Fraction, min_pixels: int) -> int:
    """The smallest step of 1, 2, 5, 10, 20, 50, … chunks at least `min_pixels` wide."""
    needed = math.ceil(min_pixels / scale)  # chunks; the step is the first 1-2-5 value not below it
    decade = 10 ** (len(str(needed)) - 1)
    while True:
        for m in (1, 2, 5):
            if m * decade * scale >= min_pixels:
                return m * decade
        decade *= 10


def render_svg(tl: Timeline, diagnostics: list[Diagnostic] | None = None, overlay=None) -> str:
    """The picture of a (possibly faulty) checked Timeline as a standalone SVG document.

    `overlay(add, x, lane_tops)`, if given, draws over the lanes (see `render_with_fired`).
    """
    diagnostics = list(diagnostics or [])
    placed = _place(tl, diagnostics)
    fates = dict(zip(map(id, tl.beats), firing_beats(tl), strict=True))
    scenes = [s for s in tl.scenes if s.start is not None]
    stop = tl.stops_at  # the run's one stop point; None until the last scene is placed
    content = max([completes_at(s) for s in scenes] + [b.start + 1 for b in tl.beats if b.start is not None] + [1])
    # An `end` far past everything that plays is drawn at the edge, not at its place (the run stops before).
    horizon = max(content, min(stop or 0, content + BUDGET))
    scale = _scale(horizon)
    width = int(LEFT + _px(horizon, scale) + RIGHT)
    lanes_top = TOP + RULER
    problems_lines = len(placed.elsewhere)
    height = int(lanes_top + max(1, len(scenes)) * LANE + 72 + 18 * problems_lines)

    def x(chunk: int) -> float:
        return round(LEFT + _px(min(chunk, horizon), scale), 2)

    def across(start: int, end: int) -> float:
        return round(x(end) - x(start), 2)

    out: list[str] = []
    add = out.append
    add(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" '
        f'font-size="12" role="img" aria-label="{_e((tl.title or tl.file) + " timeline")}">')
    add("<defs>"
        '<pattern id="rest" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#f3f3f3"/><line x1="0" y1="0" x2="0" y2="6" stroke="#d0d0d0" stroke-width="2"/></pattern>'
        '<pattern id="over" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#fde3e3"/><line x1="0" y1="0" x2="0" y2="6" stroke="#d62728" stroke-width="2"/></pattern>'
        "</defs>")
    add(f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>')

    # ---- title and summary --------------------------------------------------------------------
    errors = sum(1 for d in diagnostics if d.severity == ERROR)
    warnings = sum(1 for d in diagnostics if d.severity == WARNING)
    add(f'<text x="16" y="24" font-size="17" font-weight="600" fill="{INK}">{_e(tl.title or tl.file)}</text>')
    summary = [f"{len(scenes)} scene{'s' if len(scenes) != 1 else ''}", f"{len(tl.beats)} beat{'s' if len(tl.beats) != 1 else ''}"]
    if stop is not None:
        summary.append(f"stops after {stop} chunks ({clock(tl, stop)})")
    summary.append(f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}")
    colour = SEVERITY_COLOURS[ERROR] if errors else (SEVERITY_COLOURS[WARNING] if warnings else MUTED)
    add(f'<text x="16" y="44" fill="{colour}">{_e(" · ".join(summary))}</text>')

    # ---- ruler --------------------------------------------------------------------------------
    ruler_y = TOP + RULER - 8
    bottom = lanes_top + max(1, len(scenes)) * LANE
    add(f'<line x1="{x(0)}" y1="{ruler_y}" x2="{x(horizon)}" y2="{ruler_y}" stroke="{INK}" stroke-width="1"/>')
    # Tick spacing in pixels, not chunks: the ruler has as many ticks as the picture is wide, for any length.
    step = _tick_step(scale, max(56, 7 * len(clock(tl, horizon)) + 14))  # labels never overlap, however long
    minor = _tick_step(scale, 5)
    for c in range(0, horizon + 1, minor):
        if c % step:
            add(f'<line x1="{x(c)}" y1="{ruler_y - 3}" x2="{x(c)}" y2="{ruler_y}" stroke="{INK}"/>')
    for c in range(0, horizon + 1, step):
        add(f'<line x1="{x(c)}" y1="{ruler_y - 7}" x2="{x(c)}" y2="{ruler_y}" stroke="{INK}"/>')
        add(f'<line x1="{x(c)}" y1="{ruler_y}" x2="{x(c)}" y2="{bottom}" stroke="#ececec"/>')
        add(f'<text x="{x(c)}" y="{ruler_y - 22}" text-anchor="middle" fill="{INK}">{c}</text>')
        add(f'<text x="{x(c)}" y="{ruler_y - 10}" text-anchor="middle" font-size="10" fill="{MUTED}">{clock(tl, c)}</text>')
    add(f'<text x="{LEFT - 34}" y="{ruler_y - 22}" text-anchor="end" fill="{MUTED}">chunk</text>')
    add(f'<text x="{LEFT - 34}" y="{ruler_y - 10}" text-anchor="end" font-size="10" fill="{MUTED}">time</text>')

    # ---- scene lanes --------------------------------------------------------------------------
    for lane, scene in enumerate(scenes):
        start, completes = placed_start(scene), completes_at(scene)
        top = lanes_top + lane * LANE
        band_y, band_h = top + 8, LANE - 16
        fill = SCENE_COLOURS[scene.index % len(SCENE_COLOURS)]
        end = _scene_end(tl, scene, start, stop)
        used_to = min(end, completes)
        diags = placed.scenes.get(scene.index, [])
        name = scene.name or f"scene {scene.index + 1}"
        label_colour = _worst_colour(diags) if diags else INK
        add(f'<g class="scene"><title>{_e(f"{scene.label}: chunks {start}–{end} ({clock(tl, start)}–{clock(tl, end)}), "
                                        f"uses {max(0, used_to - start)} of its {BUDGET}-chunk budget; "
                                        f"the model completes it at chunk {completes}")}'
            f'{_e(chr(10) + _diag_text(diags)) if diags else ""}</title>')
        add(f'<text x="{LEFT - 10}" y="{top + LANE / 2 + 4}" text-anchor="end" fill="{label_colour}" font-weight="600">'
            f'{_e(_short(f"{scene.index + 1}. {name}", 22))}</text>')
        # The budget: the whole 48 as a faint outline, the rest hatched, the used part solid.
        add(f'<rect x="{x(start)}" y="{band_y}" width="{across(start, start + BUDGET)}" height="{band_h}" '
            f'fill="none" stroke="#c8c8c8" rx="3"/>')
        if completes > used_to:
            add(f'<rect x="{x(used_to)}" y="{band_y}" width="{across(used_to, completes)}" '
                f'height="{band_h}" fill="url(#rest)"/>')
        if used_to > start:
            add(f'<rect x="{x(start)}" y="{band_y}" width="{across(start, used_to)}" '
                f'height="{band_h}" fill="{fill}" rx="3"/>')
        if end > completes:
            add(f'<rect x="{x(completes)}" y="{band_y}" width="{across(completes, end)}" '
                f'height="{band_h}" fill="url(#over)" stroke="{SEVERITY_COLOURS[ERROR]}" rx="3"/>')
        add(f'<line x1="{x(completes)}" y1="{band_y - 3}" x2="{x(completes)}" y2="{band_y + band_h + 3}" '
            f'stroke="{MUTED}" stroke-width="1.5"/>')
        rest = completes - used_to
        if rest > 0 and across(used_to, completes) > 70:
            words = f"{rest} of {BUDGET} chunks unused" if across(used_to, completes) > 150 else f"{rest} unused"
            add(f'<text x="{x(used_to) + 6}" y="{band_y + band_h / 2 + 4}" font-size="10" fill="{MUTED}">'
                f'{words}</text>')
        if diags:
            add(f'<rect x="{x(start) - 2}" y="{band_y - 2}" width="{across(start, start + BUDGET) + 4}" height="{band_h + 4}" '
                f'fill="none" stroke="{_worst_colour(diags)}" stroke-width="2" stroke-dasharray="5 3" rx="4"/>')
        add("</g>")
        for beat in scene.beats:
            if beat.start is not None:
                _beat(add, tl, beat, beat.start, x, band_y, band_h, fates.get(id(beat), True), placed.beats.get(id(beat), []))

    if not scenes:
        add(f'<text x="{LEFT}" y="{lanes_top + 24}" fill="{MUTED}">no scene could be placed</text>')

    if overlay is not None:
        overlay(add, x, {scene.index: lanes_top + lane * LANE for lane, scene in enumerate(scenes)})

    # ---- the end --------------------------------------------------------------------------------
    if stop is not None:
        colour = _worst_colour(placed.end) if placed.end else INK
        why = "end at" if tl.end is not None else "stop"
        add(f'<g class="end"><title>{_e(f"the run stops after chunk {stop - 1}: {stop} chunks, {clock(tl, stop)} of video")}'
            f'{_e(chr(10) + _diag_text(placed.end)) if placed.end else ""}</title>')
        add(f'<line x1="{x(stop)}" y1="{ruler_y}" x2="{x(stop)}" y2="{bottom + 6}" stroke="{colour}" stroke-width="2" '
            f'stroke-dasharray="6 4"/>')
        add(f'<path d="M{x(stop)} {bottom + 6} l-6 10 h12 z" fill="{colour}"/>')
        beyond = " →" if stop > horizon else ""  # drawn at the edge: the real place is off the picture
        add(f'<text x="{x(stop)}" y="{bottom + 30}" text-anchor="{"end" if beyond else "middle"}" fill="{colour}" '
            f'font-weight="600">{why} {stop}{beyond}</text>')
        add("</g>")

    # ---- legend --------------------------------------------------------------------------------
    y = bottom + 52
    lx = 16
    add(f'<g class="legend" font-size="11" fill="{MUTED}">')
    add(f'<rect x="{lx}" y="{y - 9}" width="18" height="10" fill="{SCENE_COLOURS[0]}" rx="2"/>')
    add(f'<text x="{lx + 24}" y="{y}">scene plays</text>')
    lx += 110
    add(f'<rect x="{lx}" y="{y - 9}" width="18" height="10" fill="url(#rest)" stroke="#c8c8c8"/>')
    add(f'<text x="{lx + 24}" y="{y}">rest of its {BUDGET}-chunk budget</text>')
    lx += 200
    add(f'<rect x="{lx}" y="{y - 9}" width="18" height="10" fill="url(#over)" stroke="{SEVERITY_COLOURS[ERROR]}"/>')
    add(f'<text x="{lx + 24}" y="{y}">past the budget (never plays)</text>')
    lx += 200
    add(f'<path d="M{lx} {y - 10} v12" stroke="{INK}" stroke-width="3"/><path d="M{lx} {y - 10} l6 0 l-6 7 z" fill="{INK}"/>')
    add(f'<text x="{lx + 12}" y="{y}">opener / cut</text>')
    lx += 100
    add(f'<circle cx="{lx + 4}" cy="{y - 4}" r="3.5" fill="#fff" stroke="{INK}" stroke-width="2"/>')
    add(f'<text x="{lx + 14}" y="{y}">soft shot</text>')
    lx += 84
    add(f'<path d="M{lx} {y - 9} l9 9 m0 -9 l-9 9" stroke="{SEVERITY_COLOURS[ERROR]}" stroke-width="2.5"/>')
    add(f'<text x="{lx + 15}" y="{y}">never fires</text>')
    lx += 92
    add(f'<circle cx="{lx + 6}" cy="{y - 4}" r="6" fill="none" stroke="{SEVERITY_COLOURS[ERROR]}" stroke-width="2"/>')
    add(f'<text x="{lx + 17}" y="{y}">problem (hover for details)</text>')
    add("</g>")

    # ---- problems nowhere on the timeline -----------------------------------------------------
    y = bottom + 74
    for d in placed.elsewhere:
        add(f'<text x="16" y="{y}" fill="{SEVERITY_COLOURS[d.severity]}"><title>{_e(d.help or d.message)}</title>'
            f'{_e(f"{d.severity}[{d.code}] line {d.span.line}: {_short(d.message, 150)}")}</text>')
        y += 18
    add("</svg>")
    return "\n".join(out) + "\n"


def _beat(add: Callable[[str], None], tl: Timeline, beat: Beat, start: int, x: Callable[[int], float], band_y: float, band_h: float,
          fires: bool, diags: list[Diagnostic]) -> None:
    bx = x(start)
    worst = _worst(diags)
    colour = SEVERITY_COLOURS[ERROR] if not fires else KIND_COLOURS.get(beat.kind, INK)
    fate = "" if fires else " — NEVER FIRES"
    tip = f"{beat.kind} at chunk {start} ({clock(tl, start)}){fate}\n{beat.prompt}"
    if diags:
        tip += "\n" + _diag_text(diags)
    add(f'<g class="beat {beat.kind}{" never" if not fires else ""}"><title>{_e(tip)}</title>')
    heavy = beat.kind in (OPENER, CUT)
    add(f'<line x1="{bx}" y1="{band_y - 5}" x2="{bx}" y2="{band_y + band_h + 5}" stroke="{colour}" '
        f'stroke-width="{3 if heavy else 2}"/>')
    if heavy:
        add(f'<path d="M{bx} {band_y - 5} l6 0 l-6 7 z" fill="{colour}"/>')
    else:
        add(f'<circle cx="{bx}" cy="{band_y + band_h / 2}" r="3.5" fill="#ffffff" stroke="{colour}" stroke-width="2"/>')
    if not fires:
        add(f'<path d="M{bx - 5} {band_y + band_h / 2 - 5} l10 10 m0 -10 l-10 10" stroke="{SEVERITY_COLOURS[ERROR]}" '
            f'stroke-width="2.5"/>')
    if worst is not None:
        add(f'<circle cx="{bx}" cy="{band_y + band_h / 2}" r="9" fill="none" stroke="{SEVERITY_COLOURS[worst]}" '
            f'stroke-width="2"/>')
    # A hit area a few pixels wide so the tooltip is easy to find.
    add(f'<rect x="{bx - 5}" y="{band_y - 6}" width="10" height="{band_h + 12}" fill="#000" fill-opacity="0"/>')
    add("</g>")


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; margin: 0 0 12px; }
.picture { overflow-x: auto; border: 1px solid #e4e4e4; border-radius: 6px; }
.beat:hover line, .beat:hover path, .beat:hover circle { stroke-width: 4; }
table { border-collapse: collapse; margin-top: 18px; font-size: 13px; }
th, td { text-align: left; padding: 4px 10px; border-bottom: 1px solid #eee; vertical-align: top; }
td.prompt { max-width: 720px; }
.error { color: #d62728; } .warning { color: #b7790f; } .note { color: #2a7fb8; }
.never td { background: #fde3e3; }
"""


def render_html(tl: Timeline, diagnostics: list[Diagnostic] | None = None, overlay=None) -> str:
    """A standalone HTML page: the SVG, the beats with their full prompts, and every diagnostic."""
    diagnostics = sorted(diagnostics or [], key=sort_key)
    fates = firing_beats(tl)
    rows = []
    for fires, beat in zip(fates, tl.beats, strict=True):
        scene = tl.scenes[beat.scene]
        chunk = "?" if beat.start is None else str(beat.start)
        when = "" if beat.start is None else clock(tl, beat.start)
        kind = beat.kind + ("" if fires else " (never fires)")
        rows.append(f'<tr class="{"" if fires else "never"}"><td>{_e(scene.name or scene.index + 1)}</td><td>{_e(kind)}</td>'
                    f"<td>{chunk}</td><td>{when}</td><td class=\"prompt\">{_e(beat.prompt)}</td></tr>")
    problems = "".join(
        f'<li class="{d.severity}"><b>{d.severity}[{_e(d.code)}]</b> line {d.span.line}, column {d.span.column}: '
        f'{_e(d.message)}{f"<br><i>help: {_e(d.help)}</i>" if d.help else ""}</li>'
        for d in diagnostics
    )
    title = tl.title or tl.file
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{_e(title)} — timeline</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{_e(title)}</h1>\n<div class=\"picture\">\n{render_svg(tl, diagnostics, overlay)}</div>\n"
        "<table>\n<tr><th>scene</th><th>beat</th><th>chunk</th><th>time</th><th>prompt</th></tr>\n"
        + "\n".join(rows)
        + "\n</table>\n"
        + (f"<h2>Problems</h2>\n<ul>{problems}</ul>\n" if problems else "<p>No problems found.</p>\n")
        + "</body>\n</html>\n"
    )


# ---- what fired in a take, over the plan (`llv timeline FILE --trace TRACE`) ---------------------

FIRED_COLOURS = {"on plan": "#1a7f37", "off plan": "#d62728", "live": "#8250df"}


@dataclass(frozen=True)
class FiredBeat:
    """A prompt change a take's trace shows: its session chunk, kind, prompt and fate against the plan."""

    chunk: int
    kind: str
    prompt: str
    fate: str  # "on plan" | "off plan" | "live"


def render_with_fired(tl: Timeline, diagnostics: list[Diagnostic] | None, fired: list[FiredBeat],
                      page: bool = False) -> str:
    """The plan's picture (SVG, or the HTML page) with each beat that fired drawn under its lane."""
    starts = sorted((s.start, s.index) for s in tl.scenes if s.start is not None)

    def draw(add, x, lane_tops: dict[int, float]) -> None:
        add(f'<g class="fired-legend" font-size="11" fill="{MUTED}"><text x="16" y="{TOP - 1}">fired in the take:'
            + "".join(f'<tspan fill="{c}" font-weight="600"> ▲ {f}</tspan>' for f, c in FIRED_COLOURS.items())
            + "</text></g>")
        for beat in fired:
            playing = [index for start, index in starts if start <= beat.chunk]
            if not playing or playing[-1] not in lane_tops:
                continue
            y = lane_tops[playing[-1]] + LANE - 8
            colour = FIRED_COLOURS[beat.fate]
            add(f'<g class="fired {beat.fate.replace(" ", "-")}" data-chunk="{beat.chunk}">'
                f'<title>{_e(f"{beat.kind} fired at chunk {beat.chunk}, {beat.fate}")}'
                f'{_e(chr(10) + beat.prompt)}</title>'
                f'<path d="M{x(beat.chunk)} {y} l-5 7 h10 z" fill="{colour}"/></g>')

    return (render_html if page else render_svg)(tl, diagnostics, overlay=draw)
