"""`llv report`: one self-contained HTML page about a take, read from its trace (and its video).

At the top the verdict `llv verify` gives (runtime/verify.py), frames received against frames
expected, dropped frames and the connection's timings. Under it the video (embedded, or linked)
with a timeline that follows it: the planned scenes, the planned beats, the beats that fired
according to the trace, beats sent live, each acknowledgement's latency, and a playhead; clicking a
beat seeks the video there. Then a contact sheet: one frame per beat, from the chunk it fired on.

Where each session chunk starts in the video comes from the frames' stamps when the video carries
them (the simulator's), else from the model's `chunk_complete.frames_emitted`, else from the clock.
The page loads nothing from anywhere: styles, script, pictures and (unless `--link`) the video are
all inside it.
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .. import model
from ..program import Program
from ..runtime.played import application_message, read_played
from ..runtime.verify import VerifyReport, verify
from ..runtime.verify import render as render_verdict
from . import planned_chunk_frames, stamp_chunks

ACK_OF = {
    model.SET_SHOT: model.SHOT_SET,
    model.SCHEDULE_SHOT: model.SHOT_SCHEDULED,
    model.SCHEDULE_SCENE_CUT: model.SCENE_CUT_SCHEDULED,
    model.START: model.GENERATION_STARTED,
}
"""The message that acknowledges each command (a `set_seed` or a live `scene_cut` answers with `state` only)."""
PROMPT_COMMANDS = (model.SET_SHOT, model.SCENE_CUT, model.SCHEDULE_SHOT, model.SCHEDULE_SCENE_CUT)
THUMB_WIDTH = 320


class ReportError(Exception):
    """The trace or the video cannot be read as a take."""


# --------------------------------------------------------------------------- what the trace says


@dataclass
class Sent:
    """A command the client sent, and when the model acknowledged it."""

    t: float
    type: str
    prompt: str | None
    at: int | None
    ack_t: float | None = None
    live: bool = False

    @property
    def latency_ms(self) -> float | None:
        """Milliseconds from sending to the acknowledgement, if one came."""
        return None if self.ack_t is None else round(1000 * (self.ack_t - self.t), 1)


@dataclass
class Fired:
    """A prompt change the model made, read from its `chunk_complete` and `scene_cut` messages."""

    chunk: int
    kind: str  # opener | cut | shot
    prompt: str
    planned: bool  # the prompt is one of the storyboard's beats (else it was sent live)


@dataclass
class Take:
    """Everything the report needs from a trace."""

    run: dict[str, Any] = field(default_factory=dict)
    end: dict[str, Any] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    fired: list[Fired] = field(default_factory=list)
    emitted: dict[int, int] = field(default_factory=dict)  # session chunk -> frames emitted after it
    timings: list[tuple[str, float]] = field(default_factory=list)  # (what, t) in order
    http: list[dict[str, Any]] = field(default_factory=list)


def read_take(records: list[dict[str, Any]], program: Program | None) -> Take:
    """Gather the sent commands, their acknowledgements, the fired beats and the timings of a trace.

    Without the `program` every prompt counts as unplanned.
    """
    take = Take()
    planned_prompts = {beat.prompt for scene in program.scenes for beat in scene.beats} if program else set()
    started = False
    waiting: list[Sent] = []
    for r in records:
        kind, t = r.get("kind"), r.get("t")
        if not isinstance(t, (int, float)):
            continue
        if kind in ("status", "mark"):
            what = r.get("status") if kind == "status" else r.get("what")
            if isinstance(what, str) and all(w != what for w, _ in take.timings):
                take.timings.append((what, float(t)))
        elif kind == "http":
            take.http.append(r)
        elif kind == "send":
            type_, data = application_message(r)
            if type_ is None:
                continue
            sent = Sent(float(t), type_, data.get(model.PROMPT), data.get(model.AT_SESSION_CHUNK))
            sent.live = type_ in PROMPT_COMMANDS and (started or sent.prompt not in planned_prompts)
            started = started or type_ == model.START
            take.sent.append(sent)
            if type_ in ACK_OF:
                waiting.append(sent)
        elif kind == "recv":
            type_, data = application_message(r)
            for sent in waiting:
                if ACK_OF[sent.type] == type_ and sent.prompt == data.get(model.PROMPT, sent.prompt) and \
                        sent.at == data.get(model.AT_SESSION_CHUNK, sent.at):
                    sent.ack_t = float(t)
                    waiting.remove(sent)
                    break
    # The beats that fired, by chunk: the plan's segment (up to a reset; `llv take` splits the rest).
    whole = read_played(records)
    take.run, take.end = whole.run or {}, whole.end or {}
    played = whole.first
    take.emitted = played.frames_emitted()
    take.fired = [Fired(chunk, kind, prompt, prompt in planned_prompts) for kind, chunk, prompt in played.beats()]
    return take


# --------------------------------------------------------------------------- what the video shows


@dataclass
class Footage:
    """Where each session chunk starts in the video, how the report knows, and the contact sheet's frames."""

    starts: dict[int, int]  # session chunk -> first frame index in the video
    times: list[float]  # frame index -> presentation time in seconds
    source: str  # "stamps" | "trace" | "clock"
    frames: int  # frames in the video (0 without one)
    stamped: dict[int, int] | None  # session chunk -> its frames in the video, by the stamps; None without stamps
    stills: dict[int, bytes]  # session chunk -> JPEG


@contextlib.contextmanager
def open_video(video: str) -> Iterator[tuple[Any, Any]]:
    """The opened take and its video stream; ReportError for a file that is not a video (or breaks while read)."""
    import av

    try:
        with av.open(video) as container:
            if not container.streams.video:
                raise ReportError(f"{video} holds no video stream")
            yield container, container.streams.video[0]
    except av.FFmpegError as e:
        why = getattr(e, "strerror", None) or str(e)
        raise ReportError(f"cannot read the video {video}: not a video llv can read ({why})") from None


def frame_stamp(frame) -> Any:
    """The stamp of a decoded frame (`sim.frames.read_stamp`), read from its Y plane without a colour conversion."""
    import numpy as np

    from ..sim.frames import read_stamp

    plane = frame.planes[0]
    rows = np.frombuffer(plane, np.uint8).reshape(frame.height, plane.line_size)
    return read_stamp(rows[:, : frame.width])


def _jpeg(frame) -> bytes:
    image = frame.to_image()
    if image.width > THUMB_WIDTH:
        image = image.resize((THUMB_WIDTH, round(image.height * THUMB_WIDTH / image.width)))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=82)
    return out.getvalue()


def read_footage(video: str | None, take: Take, wanted: set[int], clock: model.Clock,
                 scene_starts: list[int], last_chunk: int) -> Footage:
    """Decode the take once: the frame stamps, each frame's time, and a still from each wanted chunk.

    The still of a chunk is its middle frame (its first when a chunk is shorter than 3 frames).
    """
    fps = model.FPS
    from_trace = {0: 0, **{c + 1: n for c, n in take.emitted.items()}}
    if not video:
        planned = dict(enumerate(planned_chunk_frames(clock, scene_starts, last_chunk + 1)))
        known = from_trace if take.emitted else planned
        frames = max(known.values(), default=0)
        return Footage(known, [i / fps for i in range(frames + 1)], "trace" if take.emitted else "clock",
                       0, None, {})
    stamps: list[Any] = []
    times: list[float] = []
    # chunk -> (frame in chunk, the frame) nearest its middle, not after it; turned into a JPEG once known
    # to be the one (the middle frame itself, or the end of the take) rather than at every better candidate
    candidates: dict[int, tuple[int, Any]] = {}
    by_index: dict[int, Any] = {}
    targets = {c: from_trace[c] + max(0, (from_trace.get(c + 1, from_trace[c] + 1) - from_trace[c]) // 2)
               for c in wanted if c in from_trace}
    wanted_index = {i: c for c, i in targets.items()}
    with open_video(video) as (container, stream):
        for frame in container.decode(stream):
            i = len(times)
            times.append(float(frame.time) if frame.time is not None else i / fps)
            stamp = frame_stamp(frame)
            stamps.append(stamp)
            if stamp is not None and stamp.session_chunk in wanted:
                c = stamp.session_chunk
                length = from_trace[c + 1] - from_trace[c] if c in from_trace and c + 1 in from_trace else \
                    clock.chunk_frames(stamp.chunk_in_scene)
                middle = length // 2
                best = candidates.get(stamp.session_chunk)
                if stamp.frame_in_chunk <= middle and (best is None or stamp.frame_in_chunk > best[0]):
                    candidates[c] = (stamp.frame_in_chunk, _jpeg(frame) if stamp.frame_in_chunk == middle else frame)
            if i in wanted_index:
                by_index[wanted_index[i]] = _jpeg(frame)
        stills = {c: still if isinstance(still, bytes) else _jpeg(still) for c, (_, still) in candidates.items()}
    chunks = stamp_chunks(stamps)
    if chunks is not None:
        starts: dict[int, int] = {}
        for i, s in enumerate(stamps):
            if s is not None and s.session_chunk not in starts:
                starts[s.session_chunk] = i
        starts.setdefault(max(starts) + 1, len(stamps))
        stamped = dict(Counter(chunks))  # frames per chunk (one whose stamp did not survive: the chunk before it)
        return Footage(starts, times, "stamps", len(stamps), stamped, stills)
    if take.emitted:
        return Footage(from_trace, times, "trace", len(stamps), None, by_index)
    return Footage(dict(enumerate(planned_chunk_frames(clock, scene_starts, last_chunk + 1))), times, "clock",
                   len(stamps), None, by_index)


def chunk_time(footage: Footage, chunk: int, clock: model.Clock) -> float:
    """Video seconds at which a session chunk starts (extrapolated on the clock past the known ones)."""
    if chunk in footage.starts:
        i = footage.starts[chunk]
        return footage.times[i] if i < len(footage.times) else i / model.FPS
    known = [c for c in footage.starts if c < chunk]
    base = max(known) if known else 0
    frames = footage.starts.get(base, 0) + sum(clock.later_chunk_frames for _ in range(chunk - base))
    return frames / model.FPS


# --------------------------------------------------------------------------- the page


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _mmss(seconds: float) -> str:
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


def _short(text: str, n: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


@dataclass
class Mark:
    """One clickable thing on the timeline."""

    row: str  # planned | fired | live
    chunk: int
    time: float
    kind: str
    prompt: str
    ok: bool
    note: str
    latency_ms: float | None = None


def _marks(program: Program, take: Take, verdict: VerifyReport, footage: Footage, clock: model.Clock) -> list[Mark]:
    marks: list[Mark] = []
    acks: dict[tuple[str | None, int | None], float | None] = {}
    for sent in take.sent:
        if not sent.live and sent.type in ACK_OF and sent.prompt is not None:
            acks[(sent.prompt, sent.at)] = sent.latency_ms
    for b in verdict.beats:
        at = None if b.beat.kind == model.OPENER else b.beat.chunk
        marks.append(Mark("planned", b.beat.chunk, chunk_time(footage, b.beat.chunk, clock), b.beat.kind,
                          b.beat.prompt, b.ok, b.note, acks.get((b.beat.prompt, at))))
    on_plan = {(b.fired_at, b.beat.prompt) for b in verdict.beats if b.ok}
    for f in take.fired:
        row = "fired" if f.planned else "live"
        note = "on plan" if (f.chunk, f.prompt) in on_plan else ("sent live" if not f.planned else "off plan")
        marks.append(Mark(row, f.chunk, chunk_time(footage, f.chunk, clock), f.kind, f.prompt,
                          (f.chunk, f.prompt) in on_plan or not f.planned, note))
    return marks


_CSS = """
:root { --ink: #1f2328; --muted: #656d76; --ok: #1a7f37; --bad: #cf222e; --live: #8250df; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink);
       margin: 0 auto; padding: 20px 24px 40px; max-width: 1180px; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 10px; }
.sub { color: var(--muted); margin-bottom: 14px; }
.verdict { border-radius: 8px; padding: 12px 16px; font-size: 16px; font-weight: 600; color: #fff; }
.verdict.ok { background: var(--ok); } .verdict.bad { background: var(--bad); }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr)); gap: 8px; margin: 12px 0; }
.fact { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
.fact b { display: block; font-size: 18px; } .fact span { color: var(--muted); font-size: 12px; }
.fact.bad b { color: var(--bad); }
video { display: block; width: 100%; max-height: 540px; background: #000; border-radius: 6px; }
.timeline { margin-top: 6px; border: 1px solid var(--line); border-radius: 6px; overflow: hidden; }
.timeline svg { display: block; width: 100%; height: auto; user-select: none; }
.seek { cursor: pointer; } .seek:hover .tick { stroke-width: 5; }
.legend { color: var(--muted); font-size: 12px; margin: 6px 2px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin: 0 4px 0 12px; vertical-align: -1px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #eaeef2; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.fail td { background: #ffebe9; }
.sheet { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 6px; overflow: hidden; cursor: pointer; background: #f6f8fa; }
.card img { display: block; width: 100%; aspect-ratio: 16 / 9; object-fit: cover; background: #222; }
.card .none { aspect-ratio: 16 / 9; display: flex; align-items: center; justify-content: center; color: var(--muted); }
.card div.txt { padding: 8px 10px; } .card .when { font-weight: 600; } .card.fail .when { color: var(--bad); }
.card.live .when { color: var(--live); } .card p { margin: 4px 0 0; font-size: 12px; color: #333; }
pre { background: #f6f8fa; padding: 10px; border-radius: 6px; overflow-x: auto; font-size: 12px; }
"""

_SCRIPT = """
(function () {
  "use strict";
  var video = document.getElementById("take");
  var head = document.getElementById("playhead");
  var svg = document.getElementById("timeline");
  var left = +svg.dataset.left, scale = +svg.dataset.scale, fps = +svg.dataset.fps;
  var embedded = document.getElementById("take-data");
  if (embedded) {
    var bytes = Uint8Array.from(atob(embedded.textContent.trim()), function (c) { return c.charCodeAt(0); });
    video.src = URL.createObjectURL(new Blob([bytes], { type: "video/mp4" }));
  }
  function place(t) {
    t = Math.floor(t * fps + 1e-6) / fps;  // the start of the frame on screen
    var x = (left + t * scale).toFixed(2);
    head.setAttribute("x1", x); head.setAttribute("x2", x);
    head.dataset.time = t.toFixed(4);
    document.getElementById("clock").textContent =
      Math.floor(t / 60) + ":" + (t % 60).toFixed(1).padStart(4, "0");
  }
  function follow() { place(video.currentTime); if (!video.paused) requestAnimationFrame(follow); }
  video.addEventListener("timeupdate", function () { place(video.currentTime); });
  video.addEventListener("seeked", function () { place(video.currentTime); });
  video.addEventListener("play", function () { requestAnimationFrame(follow); });
  function seek(t) { video.currentTime = t + 0.5 / fps; place(t); }
  document.querySelectorAll("[data-seek]").forEach(function (el) {
    el.addEventListener("click", function (ev) { ev.preventDefault(); seek(+el.dataset.seek); });
  });
  svg.addEventListener("click", function (ev) {
    if (ev.target.closest("[data-seek]")) return;
    var p = svg.createSVGPoint(); p.x = ev.clientX; p.y = ev.clientY;
    var x = p.matrixTransform(svg.getScreenCTM().inverse()).x;
    if (x >= left) seek(Math.max(0, Math.min((x - left) / scale, video.duration || 1e9)));
  });
  place(0);
})();
"""

ROWS = ("scenes", "planned", "fired", "live", "ack")
ROW_LABELS = {"scenes": "scenes", "planned": "planned beats", "fired": "fired (trace)",
              "live": "sent live", "ack": "ack latency"}
ROW_H = 30
LEFT = 120
WIDTH = 1100
RULER = 26


def _timeline_svg(program: Program, marks: list[Mark], footage: Footage, clock: model.Clock,
                  duration: float) -> str:
    from ..sim.frames import scene_colour

    scale = (WIDTH - LEFT - 16) / max(duration, 0.1)
    height = RULER + ROW_H * len(ROWS) + 8
    top = {row: RULER + i * ROW_H for i, row in enumerate(ROWS)}

    def x(t: float) -> str:
        return f"{LEFT + t * scale:.2f}"

    out = [f'<svg id="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
           f'data-left="{LEFT}" data-scale="{scale:.6f}" data-fps="{model.FPS}" font-size="11" '
           f'font-family="system-ui, sans-serif" role="img" aria-label="timeline of the take">']
    for row in ROWS:
        y = top[row]
        out.append(f'<rect x="0" y="{y}" width="{WIDTH}" height="{ROW_H}" fill="{"#f6f8fa" if ROWS.index(row) % 2 else "#fff"}"/>')
        out.append(f'<text x="8" y="{y + ROW_H / 2 + 4}" fill="#656d76">{ROW_LABELS[row]}</text>')
    step = next(s for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800) if s * scale >= 60)
    t = 0
    while t <= duration + 1e-9:
        out.append(f'<line x1="{x(t)}" y1="{RULER - 6}" x2="{x(t)}" y2="{height}" stroke="#eaeef2"/>')
        out.append(f'<text x="{x(t)}" y="{RULER - 9}" text-anchor="middle" fill="#656d76">{_mmss(t)}</text>')
        t += step
    # Scenes as planned, coloured as the simulator paints them.
    stop = program.end if program.end is not None else program.stops_at
    for i, scene in enumerate(program.scenes):
        until = scene.end if scene.end is not None else min(scene.completes_at, stop)
        if i + 1 < len(program.scenes):
            until = min(until, program.scenes[i + 1].start)
        until = min(until, stop)
        t0, t1 = chunk_time(footage, scene.start, clock), chunk_time(footage, until, clock)
        r, g, b = scene_colour(i)
        name = scene.name or f"scene {scene.number}"
        out.append(f'<g class="seek scene" data-seek="{t0:.4f}"><title>{_e(f"{scene.number}. {name}: chunks {scene.start}–{until}")}</title>'
                   f'<rect x="{x(t0)}" y="{top["scenes"] + 5}" width="{max(1.0, (t1 - t0) * scale):.2f}" '
                   f'height="{ROW_H - 10}" rx="3" fill="rgb({r},{g},{b})"/>'
                   f'<text x="{float(x(t0)) + 5:.2f}" y="{top["scenes"] + ROW_H / 2 + 4}" fill="#fff">'
                   f'{_e(_short(f"{scene.number}. {name}", max(3, int((t1 - t0) * scale / 7))))}</text></g>')
    colours = {"planned": "#1f2328", "fired": "#1a7f37", "live": "#8250df"}
    worst_ack = max((m.latency_ms for m in marks if m.latency_ms is not None), default=0) or 1
    for i, m in enumerate(marks):
        y = top[m.row]
        colour = colours[m.row] if m.ok else "#cf222e"
        heavy = m.kind in (model.OPENER, model.CUT)
        tip = f"{m.kind} at chunk {m.chunk} ({_mmss(m.time)}): {m.note}\n{m.prompt}"
        if m.latency_ms is not None:
            tip += f"\nacknowledged in {m.latency_ms:g} ms"
        out.append(f'<g class="seek beat {m.row}" id="{m.row}-{i}" data-seek="{m.time:.4f}" data-chunk="{m.chunk}">'
                   f'<title>{_e(tip)}</title>'
                   f'<rect x="{float(x(m.time)) - 6:.2f}" y="{y + 2}" width="12" height="{ROW_H - 4}" fill="#000" fill-opacity="0"/>'
                   f'<line class="tick" x1="{x(m.time)}" y1="{y + 4}" x2="{x(m.time)}" y2="{y + ROW_H - 4}" '
                   f'stroke="{colour}" stroke-width="{3 if heavy else 2}"/>'
                   + (f'<path d="M{x(m.time)} {y + 4} l7 0 l-7 7 z" fill="{colour}"/>' if heavy else
                      f'<circle cx="{x(m.time)}" cy="{y + ROW_H / 2}" r="3.5" fill="#fff" stroke="{colour}" stroke-width="2"/>')
                   + "</g>")
        if m.row == "planned" and m.latency_ms is not None:
            h = max(2.0, (ROW_H - 8) * m.latency_ms / worst_ack)
            ya = top["ack"] + ROW_H - 4
            out.append(f'<g class="ack"><title>{_e(f"chunk {m.chunk}: acknowledged in {m.latency_ms:g} ms")}</title>'
                       f'<rect x="{float(x(m.time)) - 3:.2f}" y="{ya - h:.2f}" width="6" height="{h:.2f}" fill="#bf8700"/>'
                       f'<text x="{float(x(m.time)) + 5:.2f}" y="{ya - 2}" fill="#7d4e00" font-size="10">{m.latency_ms:g} ms</text></g>')
    out.append(f'<line id="playhead" x1="{LEFT}" y1="{RULER - 4}" x2="{LEFT}" y2="{height}" stroke="#d1242f" '
               f'stroke-width="2" pointer-events="none" data-time="0"/>')
    out.append("</svg>")
    return "".join(out)


def _fact(value: object, label: str, bad: bool = False) -> str:
    return f'<div class="fact{" bad" if bad else ""}"><b>{_e(value)}</b><span>{_e(label)}</span></div>'


def build_report(program: Program, records: list[dict[str, Any]], *, video: str | None = None,
                 video_href: str | None = None, clock: model.Clock = model.DEFAULT_CLOCK,
                 trace_name: str = "trace") -> str:
    """The report page as HTML text; `video_href` links the video instead of embedding `video`."""
    take = read_take(records, program)
    verdict = verify(program, records)
    stop = program.end if program.end is not None else program.stops_at
    beats = [b for s in program.scenes for b in s.beats]
    wanted = {b.chunk for b in beats} | {f.chunk for f in take.fired}
    wanted |= {b.fired_at for b in verdict.beats if b.fired_at is not None}
    last = max([stop, *wanted, *take.emitted])
    scene_starts = [f.chunk for f in take.fired if f.kind in (model.OPENER, model.CUT)] or [s.start for s in program.scenes]
    footage = read_footage(video, take, wanted, clock, scene_starts, last)
    marks = _marks(program, take, verdict, footage, clock)
    video_seconds = footage.times[-1] + 1 / model.FPS if footage.times else 0.0
    duration = max(video_seconds, chunk_time(footage, stop, clock))

    title = program.title or os.path.basename(program.source)
    good = sum(1 for b in verdict.beats if b.ok)
    if verdict.ok:
        headline = f"OK: all {good} beats fired on their planned chunks"
    else:
        headline = f"FAILED: {good} of {len(verdict.beats)} beats fired on their planned chunks"

    # Frames: what the model said it emitted up to the stop, against what arrived and was recorded.
    emitted = take.emitted.get(stop - 1) if take.emitted else None
    planned_frames = clock.session_frames(sorted({s.start for s in program.scenes}), stop)
    expected = emitted if emitted is not None else planned_frames
    received = take.end.get("frames_received")
    recorded = footage.frames if video else take.end.get("frames_recorded")
    past_end = 0
    if footage.stamped is not None:  # frames of the storyboard's chunks; one recorded past its end is not
        recorded = sum(n for c, n in footage.stamped.items() if c < stop)
        past_end = footage.frames - recorded
    if isinstance(recorded, int):
        dropped = max(0, expected - recorded)
    else:
        dropped = None
    facts = [
        _fact(f"{verdict.chunks_seen} / {verdict.planned_chunks}", "chunks generated / planned",
              verdict.chunks_seen < verdict.planned_chunks),
        _fact(f"{recorded if recorded is not None else '–'} / {expected}",
              f"frames {'in the video' if video else 'recorded'} / expected"
              + (" (as the model emitted them)" if emitted is not None else f" (on the {clock.name} clock)")
              + (f"; {past_end} more recorded past the end" if past_end else "")),
        _fact("–" if dropped is None else dropped, "frames dropped", bool(dropped)),
        _fact(received if received is not None else "–", "frames received over the connection"),
    ]
    if emitted is not None and emitted != planned_frames:
        facts.append(_fact(planned_frames, f"frames the {clock.name} clock plans (the model emitted {emitted})"))
    timing = dict(take.timings)
    t0 = timing.get("connecting", 0.0)
    for what, label in (("ready", "connecting → ready"), ("setup_acked", "connecting → commands acknowledged"),
                        ("first_frame", "connecting → first frame")):
        if what in timing:
            facts.append(_fact(f"{1000 * (timing[what] - t0):.0f} ms", label))
    if take.run.get("mode"):
        facts.append(_fact(take.run["mode"], "played on"))
    if take.end.get("message"):
        facts.append(_fact(_short(take.end["message"], 60), f"the run ended (exit {take.end.get('exit_code')})",
                           take.end.get("exit_code") not in (0, None)))

    # The verdict table, beat by beat (the words of `llv verify`).
    rows = []
    acks = {(m.chunk, m.prompt): m.latency_ms for m in marks if m.row == "planned"}
    for b in verdict.beats:
        t = chunk_time(footage, b.fired_at if b.fired_at is not None else b.beat.chunk, clock)
        latency = acks.get((b.beat.chunk, b.beat.prompt))
        rows.append(f'<tr class="{"ok" if b.ok else "fail"}"><td>{"ok" if b.ok else "FAIL"}</td>'
                    f'<td>{_e(b.scene_name or b.scene)}</td><td>{_e(b.beat.kind)}</td>'
                    f'<td class="num">{b.beat.chunk}</td><td class="num"><a href="#" data-seek="{t:.4f}">{_mmss(t)}</a></td>'
                    f'<td class="num">{"–" if latency is None else f"{latency:g} ms"}</td>'
                    f'<td>{_e(b.note)}</td><td>{_e(_short(b.beat.prompt))}</td></tr>')
    for m in marks:
        if m.row == "live":
            rows.append(f'<tr class="live"><td>live</td><td></td><td>{_e(m.kind)}</td><td class="num">{m.chunk}</td>'
                        f'<td class="num"><a href="#" data-seek="{m.time:.4f}">{_mmss(m.time)}</a></td><td></td>'
                        f'<td>sent live during the take</td><td>{_e(_short(m.prompt))}</td></tr>')

    # The contact sheet: one card per beat, at the chunk it fired on (its planned chunk if it never did).
    cards = []
    for m in marks:
        if m.row == "fired" and any(p.row == "planned" and p.chunk == m.chunk and p.prompt == m.prompt for p in marks):
            continue  # shown through its planned beat
        if m.row == "planned":
            fired_at = next((b.fired_at for b in verdict.beats if b.beat.chunk == m.chunk and b.beat.prompt == m.prompt), None)
            chunk = fired_at if fired_at is not None else m.chunk
        else:
            chunk = m.chunk
        jpg = footage.stills.get(chunk)
        t = chunk_time(footage, chunk, clock)
        picture = (f'<img alt="chunk {chunk}" src="data:image/jpeg;base64,{base64.b64encode(jpg).decode()}">'
                   if jpg else '<div class="none">no frame</div>')
        cls = "card" + ("" if m.ok else " fail") + (" live" if m.row == "live" else "")
        cards.append(f'<div class="{cls}" data-seek="{t:.4f}" data-chunk="{chunk}">{picture}<div class="txt">'
                     f'<div class="when">chunk {chunk} · {_mmss(t)} · {_e(m.kind)} · {_e(m.note)}</div>'
                     f'<p>{_e(m.prompt)}</p></div></div>')

    if video_href is not None:
        player = f'<video id="take" controls muted playsinline preload="auto" src="{_e(video_href)}"></video>'
        embedded = ""
    elif video:
        with open(video, "rb") as f:
            data = base64.b64encode(f.read()).decode("ascii")
        player = '<video id="take" controls muted playsinline preload="auto"></video>'
        embedded = f'<script id="take-data" type="application/octet-stream">{data}</script>\n'
    else:
        player = '<video id="take" controls muted playsinline preload="none"></video>'
        embedded = ""
    where = {"stamps": "the frames' own stamps", "trace": "the model's frame counts (chunk_complete)",
             "clock": f"the {clock.name} clock"}[footage.source]
    http_rows = "".join(
        f'<tr><td>{_e(r.get("method"))}</td><td>{_e(r.get("path"))}</td><td class="num">{_e(r.get("status"))}</td>'
        f'<td class="num">{_e(r.get("ms", "–"))}{" ms" if r.get("ms") is not None else ""}</td></tr>' for r in take.http)
    timeline_rows = "".join(f'<tr><td>{_e(what)}</td><td class="num">{1000 * t:.0f} ms</td></tr>' for what, t in take.timings)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{_e(title)} — take report</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{_e(title)}</h1>\n<div class=\"sub\">{_e(program.source)} · {_e(trace_name)}"
        f"{' · ' + _e(os.path.basename(video)) if video else ''}</div>\n"
        f'<div id="verdict" class="verdict {"ok" if verdict.ok else "bad"}">{_e(headline)}</div>\n'
        f'<div class="facts">{"".join(facts)}</div>\n'
        f"{player}\n"
        f'<div class="timeline">{_timeline_svg(program, marks, footage, clock, duration)}</div>\n'
        '<div class="legend">playhead <b id="clock">0:00.0</b> · click a beat or the ruler to seek ·'
        '<i style="background:#1f2328"></i>planned<i style="background:#1a7f37"></i>fired on plan'
        '<i style="background:#cf222e"></i>off plan<i style="background:#8250df"></i>sent live'
        f'<i style="background:#bf8700"></i>ack latency · chunk times from {_e(where)}</div>\n'
        "<h2>Beats</h2>\n<table><tr><th></th><th>scene</th><th>beat</th><th>chunk</th><th>time</th><th>ack</th>"
        f"<th>verdict</th><th>prompt</th></tr>\n{''.join(rows)}</table>\n"
        f'<h2>Contact sheet</h2>\n<div class="sheet">{"".join(cards)}</div>\n'
        "<h2>Connection</h2>\n<table><tr><th>since the run started</th><th></th></tr>"
        f"{timeline_rows}</table>\n<br><table><tr><th>request</th><th>path</th><th>status</th><th>time</th></tr>{http_rows}</table>\n"
        f"<details><summary>llv verify</summary><pre>{_e(render_verdict(verdict, program.source, trace_name))}</pre></details>\n"
        f"{embedded}<script>{_SCRIPT}</script>\n</body>\n</html>\n"
    )


def trace_storyboard(records: list[dict[str, Any]]) -> str | None:
    """The storyboard file a trace's `run` record names, if any."""
    for r in records:
        if r.get("kind") == "run" and isinstance(r.get("file"), str):
            return r["file"]
    return None


def is_trace(records: list[dict[str, Any]]) -> bool:
    """Whether records look like an `llv run` trace (every record an object with `t` and `kind`)."""
    return bool(records) and all(isinstance(r, dict) and "kind" in r and "t" in r for r in records)




def fired_against_plan(program: Program, records: list[dict[str, Any]]) -> list:
    """Each beat a trace shows firing, with its fate against the plan (for `llv timeline --trace`)."""
    from ..tools.timeline_view import FiredBeat

    verdict = verify(program, records)
    on_plan = {(b.fired_at, b.beat.prompt) for b in verdict.beats if b.ok}
    return [FiredBeat(f.chunk, f.kind, f.prompt,
                      "live" if not f.planned else ("on plan" if (f.chunk, f.prompt) in on_plan else "off plan"))
            for f in read_take(records, program).fired]
