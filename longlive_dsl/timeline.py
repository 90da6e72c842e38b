"""Resolve a Document into a Timeline: absolute chunk positions, folded and interpolated prompts.

What cannot be resolved (an unknown name, a position nothing determines, a malformed time)
becomes a diagnostic here; rules about a resolved plan (budgets, gaps, overlaps) live in checks.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

from . import model
from .diagnostics import ERROR, NOTE, Diagnostic, Span
from .syntax import ast

MAX_PROMPT_CHARS = 200_000
"""Largest prompt (after interpolation) llv builds; beyond it interpolation stops with E405."""

OPENER, CUT, SHOT = "opener", "cut", "shot"


@dataclass(slots=True)
class Time:
    """A resolved `at`/`for` value in chunks, with where it was written.

    A time written in seconds (`6s`, `0:30`) keeps them in `seconds`; placement converts them to
    chunks on the storyboard's clock (a scene's chunks count from its own start) and sets `chunks`.
    """

    chunks: int
    span: Span  # the whole `at 5` / `for 5`
    written: str
    seconds: Fraction | None = None
    time_span: Span | None = None  # just the value
    converted: bool = False


@dataclass(slots=True)
class Beat:
    """One shot of the storyboard, placed: the opener, a cut (a scene's first shot) or a soft shot."""

    kind: str
    prompt: str
    scene: int  # index into Timeline.scenes
    node: ast.Shot
    at: Time | None = None
    length: Time | None = None
    start: int | None = None
    end: int | None = None

    @property
    def span(self) -> Span:
        return self.node.span

    @property
    def position_span(self) -> Span:
        """Where this beat's position comes from: its `at` if written, else its keyword."""
        return self.at.span if self.at else self.node.keyword_span


@dataclass(slots=True)
class Scene:
    """A scene, placed: its start, its end (when known, and why) and its shots as beats."""

    index: int
    name: str | None
    node: ast.Scene
    at: Time | None = None
    length: Time | None = None
    start: int | None = None
    end: int | None = None
    end_from: str | None = None  # "for" | "last shot" | "next scene"
    beats: list[Beat] = field(default_factory=list)

    @property
    def completes_at(self) -> int | None:
        """The session chunk at which the model auto-completes this scene (start + 48)."""
        return None if self.start is None else self.start + model.SCENE_BUDGET_CHUNKS

    @property
    def label(self) -> str:
        return f'scene "{self.name}"' if self.name else f"scene {self.index + 1}"


@dataclass(slots=True)
class DefineInfo:
    name: str
    value: str
    node: ast.Define
    used: bool = False
    broken: bool = False  # its own text had an error; uses of it report nothing more


@dataclass(slots=True)
class Timeline:
    """The storyboard resolved: what plays when, in absolute session chunks."""

    file: str
    source: str
    title: str | None = None
    seed: int | None = None
    seed_node: ast.Seed | None = None
    clock: model.Clock = model.DEFAULT_CLOCK
    clock_node: ast.Clock | None = None
    defines: dict[str, DefineInfo] = field(default_factory=dict)
    scenes: list[Scene] = field(default_factory=list)
    end: Time | None = None
    end_node: ast.End | None = None

    @property
    def beats(self) -> list[Beat]:
        """Every beat in source order."""
        return [b for s in self.scenes for b in s.beats]

    @property
    def end_chunk(self) -> int | None:
        """Where the storyboard says the run ends: `end at`, else the last scene's own end (None: no end)."""
        if self.end is not None:
            return self.end.chunks
        return self.scenes[-1].end if self.scenes else None

    @property
    def stops_at(self) -> int | None:
        """The one stop point: the session chunk count at which the run stops (None until placed).

        The earlier of the storyboard's end (`end at`, or the last scene's own end) and the chunk
        at which the model completes the last scene.
        """
        completes = self.scenes[-1].completes_at if self.scenes else None
        if completes is None:
            return None
        end = self.end_chunk
        return completes if end is None else min(end, completes)

    def plays_until(self, scene: Scene) -> int | None:
        """Where a placed scene stops playing: the run's stop for the last scene, else its end or completion."""
        if scene.start is None:
            return None
        if scene is self.scenes[-1]:
            return self.stops_at
        return scene.end if scene.end is not None else scene.completes_at

    @property
    def scene_starts(self) -> list[int]:
        """The session chunks at which placed scenes open (where the clock starts a 29-frame chunk)."""
        return sorted({s.start for s in self.scenes if s.start is not None} | {0})

    def frames_at(self, chunk: int) -> int:
        """Frames the session has emitted when it reaches chunk boundary `chunk`, on this clock."""
        return self.clock.session_frames(self.scene_starts, chunk)

    def seconds_at(self, chunk: int) -> Fraction:
        """Video time of chunk boundary `chunk`, on this clock."""
        return self.clock.seconds(self.frames_at(chunk))


# ---- time values -----------------------------------------------------------------------------

_TIME = re.compile(r"^([-+]?)(\d+)(?:\.(\d+))?(?::(\d+)(?:\.(\d+))?)?(s?)$")


def _fmt_seconds(x: Fraction) -> str:
    return f"{float(x):.2f}".rstrip("0").rstrip(".")


def timecode(seconds: Fraction) -> str:
    """Video time as m:ss.s (exact for any length, however large)."""
    minutes, tenths = divmod(round(seconds * 10), 600)
    return f"{minutes}:{tenths // 10:02d}.{tenths % 10}"


class _Resolver:
    def __init__(self, doc: ast.Document, clock: model.Clock | None = None) -> None:
        self.doc = doc
        self.diags: list[Diagnostic] = []
        self.timeline = Timeline(doc.file, doc.source)
        self.clock_override = clock
        if clock is not None:
            self.timeline.clock = clock

    def error(self, code: str, message: str, span: Span, label: str | None = None, help: str | None = None,
              notes: tuple[str, ...] = ()) -> None:
        self.diags.append(Diagnostic(code, ERROR, message, self.doc.file, span, label, help, notes))

    # -- times --
    def time(self, timing: ast.Timing) -> Time | None:
        text, span = timing.time, timing.time_span
        m = _TIME.match(text)
        if m is None:
            self.error("E301", f"`{text}` is not a time", span,
                       help="write a chunk count (12), seconds (6s, 7.5s) or minutes:seconds (1:05)")
            return None
        sign, whole, frac, ss, ss_frac, unit = m.groups()
        if ss is not None:
            if frac is not None or unit:
                self.error("E301", f"`{text}` mixes two time forms", span,
                           help="write minutes:seconds as `1:05` or `1:05.5`, or seconds as `65s`")
                return None
            if int(ss) >= 60 or len(ss) != 2:
                self.error("E301", f"`{text}`: the seconds part must be two digits below 60", span,
                           help="write minutes:seconds like `1:05`")
                return None
            seconds = int(whole) * 60 + Fraction(f"{ss}.{ss_frac or 0}")
        elif unit:
            seconds = Fraction(f"{whole}.{frac or 0}")
        else:
            if frac is not None:
                self.error("E301", f"`{text}` is not a whole number of chunks", span,
                           label="a chunk count cannot have a fraction",
                           help=f"write `{text}s` for seconds, or a whole number of chunks")
                return None
            seconds = None
        chunks = int(whole) if seconds is None else 0  # seconds become chunks once placed (see convert_*)
        if sign == "-" and (chunks or int(whole) or seconds):
            self.error("E302", f"`{text}` is negative", span, help="positions and lengths count up from chunk 0")
            return None
        if timing.kind == "for" and seconds is None and chunks == 0:
            self.error("E303", f"`for {text}` is no time at all", timing.span,
                       help="give a positive length, or remove `for` to let the next beat decide")
            return None
        return Time(chunks, timing.span, text, seconds, span)

    def clock_help(self, chunks: int, what: str) -> str:
        c = self.timeline.clock
        return (f"on the {c.name} clock {c.describe()}, at {model.FPS} fps; write `{chunks}` to say {what} exactly")

    def convert_length(self, t: Time | None, first_in_scene: bool) -> Time | None:
        """Turn a length written in seconds into chunks, counted from a chunk boundary of a scene."""
        if t is None or t.seconds is None or t.converted:
            return t
        t.converted = True
        clock = self.timeline.clock
        t.chunks, exact = clock.nearest_chunks(t.seconds, first_in_scene)
        if t.chunks == 0:
            first = clock.first_chunk_frames if first_in_scene else clock.later_chunk_frames
            self.error("E303", f"`for {t.written}` is no time at all: less than half a chunk", t.span,
                       help=f"a chunk here is {first} frames ({_fmt_seconds(Fraction(first, model.FPS))} s); "
                            "give a longer length, or remove `for` to let the next beat decide")
            return None
        if not exact:
            first = clock.first_chunk_frames if first_in_scene else clock.later_chunk_frames
            frames = first + (t.chunks - 1) * clock.later_chunk_frames
            wanted = t.seconds * model.FPS
            exact_count = wanted / first if wanted <= first else 1 + (wanted - first) / clock.later_chunk_frames
            self.note(t, f"`{t.written}` is {_fmt_seconds(exact_count)} chunks ({_fmt_seconds(wanted)} frames); "
                         f"using {t.chunks} ({frames} frames, {_fmt_seconds(Fraction(frames, model.FPS))} s)",
                      self.clock_help(t.chunks, "chunks"))
        return t

    def convert_position(self, t: Time | None) -> Time | None:
        """Turn an absolute time written in seconds into the nearest chunk boundary of the session.

        The scenes placed so far are counted on the clock, each from its own start (a cut opens a
        first-sized chunk).
        """
        if t is None or t.seconds is None or t.converted:
            return t
        t.converted = True
        tl = self.timeline
        t.chunks, exact = tl.clock.nearest_boundary(t.seconds, tl.scene_starts)
        if not exact:
            at = tl.seconds_at(t.chunks)
            self.note(t, f"`{t.written}` is not on a chunk boundary; using chunk {t.chunks}, which starts at "
                         f"{timecode(at)} (frame {tl.frames_at(t.chunks)}, {_fmt_seconds(at)} s)",
                      self.clock_help(t.chunks, "the chunk"))
        return t

    def note(self, t: Time, message: str, help: str) -> None:
        self.diags.append(Diagnostic("N701", NOTE, message, self.doc.file, t.time_span or t.span, help=help))

    def timings(self, node: ast.Scene | ast.Shot) -> tuple[Time | None, Time | None]:
        found: dict[str, ast.Timing] = {}
        for t in node.timings:
            if t.kind in found:
                self.error("E206", f"`{t.kind}` is given twice", t.span,
                           help=f"keep one `{t.kind}` (the first is `{found[t.kind].kind} {found[t.kind].time}`)")
                continue
            found[t.kind] = t
        at = self.time(found["at"]) if "at" in found else None
        length = self.time(found["for"]) if "for" in found else None
        return at, length

    # -- prompts --
    _BRACES = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}|\{|\}")

    def brace_span(self, text: ast.Text, index: int) -> Span:
        """The source span of the index-th brace token of a string literal (only needed for errors).

        Unescaping only removes backslashes, so the brace tokens of the literal as written are
        the same, in the same order, as those of its value.
        """
        q = 3 if text.triple else 1
        base = text.span.start + q
        raw = self.doc.source[base : text.span.end - q]
        m = next(m for i, m in enumerate(self._BRACES.finditer(raw)) if i == index)
        return Span.of(self.doc.source, base + m.start(), base + m.end())

    def expand(self, text: ast.Text) -> str | None:
        """Interpolate `{name}` and fold whitespace; None if the text has an error."""
        value = text.value
        if "{" not in value and "}" not in value:
            return " ".join(value.split())
        pieces: list[str] = []
        size = 0
        last = 0
        ok = True
        for index, m in enumerate(self._BRACES.finditer(value)):
            pieces.append(value[last : m.start()])
            last = m.end()
            token = m.group(0)
            if token in ("{{", "}}"):
                pieces.append(token[0])
                continue
            name = m.group(1)
            if name is None:
                self.error("E404", f"a single `{token}` is not part of a `{{name}}`", self.brace_span(text, index),
                           help=f"write `{token}{token}` for a literal brace")
                ok = False
                continue
            info = self.timeline.defines.get(name)
            if info is None:
                self._unknown_name(name, self.brace_span(text, index))
                ok = False
                continue
            info.used = True
            if info.broken:
                ok = False
                continue
            size += len(info.value)
            if size > MAX_PROMPT_CHARS:
                self.error("E405", f"interpolation makes this text longer than {MAX_PROMPT_CHARS:,} characters",
                           text.span, help="use fewer or shorter `{name}` insertions")
                return None
            pieces.append(info.value)
        pieces.append(value[last:])
        return " ".join("".join(pieces).split()) if ok else None

    def _unknown_name(self, name: str, span: Span) -> None:
        import difflib

        later = next((s for s in self.doc.statements if isinstance(s, ast.Define) and s.name == name), None)
        if later is not None:
            self.error("E402", f"`{{{name}}}` is used before its define", span,
                       help=f"move `define {name}` (line {later.span.line}) above this line")
            return
        close = difflib.get_close_matches(name, list(self.timeline.defines), n=1)
        hint = f"did you mean `{{{close[0]}}}`? " if close else ""
        self.error("E402", f"unknown name `{{{name}}}`", span, label="no define has this name",
                   help=f"{hint}add `define {name} = \"…\"` above, or write `{{{{{name}}}}}` for literal braces")

    # -- statements --
    def run(self) -> Timeline:
        tl = self.timeline
        scene_seen = False
        scene: Scene | None = None
        title_node = None
        for st in self.doc.statements:
            if isinstance(st, (ast.Title, ast.Seed, ast.Define, ast.Clock)) and scene_seen:
                word = type(st).__name__.lower()
                self.error("E201", f"`{word}` after the first scene", st.span,
                           help=f"move this `{word}` above the first `scene` (headers come first)")
                continue
            if isinstance(st, ast.Title):
                if title_node is not None:
                    self.error("E205", "a second `title`", st.span, help=f"keep one title (the first is on line {title_node.span.line})")
                    continue
                title_node = st
                tl.title = " ".join(st.text.value.split())
            elif isinstance(st, ast.Seed):
                self.seed(st)
            elif isinstance(st, ast.Clock):
                self.clock(st)
            elif isinstance(st, ast.Define):
                self.define(st)
            elif isinstance(st, ast.Scene):
                scene_seen = True
                at, length = self.timings(st)
                name = " ".join(st.name.value.split()) if st.name is not None else None
                scene = Scene(len(tl.scenes), name, st, at, length)
                tl.scenes.append(scene)
            elif isinstance(st, ast.Shot):
                if scene is None:
                    self.error("E202", "a `shot` before any `scene`", st.keyword_span,
                               help='add a scene above it, e.g. `scene "Opening"`; every shot belongs to the scene above it')
                    continue
                at, length = self.timings(st)
                prompt = self.expand(st.prompt)
                if prompt == "":
                    self.error("E401", "this prompt is empty", st.prompt.span,
                               help="describe the shot: subject, action, setting, light, lens, palette")
                kind = SHOT if scene.beats else (OPENER if scene.index == 0 else CUT)
                scene.beats.append(Beat(kind, prompt or "", scene.index, st, at, length))
            elif isinstance(st, ast.End):
                if tl.end_node is not None:
                    self.error("E205", "a second `end`", st.span, help=f"keep one `end at` (the first is on line {tl.end_node.span.line})")
                    continue
                tl.end_node = st
                tl.end = self.time(ast.Timing("at", st.time, st.span, st.time_span))
        for s in tl.scenes:
            if not s.beats:
                self.error("E203", f"{s.label} has no shots", s.node.span,
                           help="add at least one `shot \"…\"` under it; its first shot is what the scene opens on")
        if not tl.scenes and not any(isinstance(st, ast.Shot) for st in self.doc.statements):
            first = self.doc.statements[0].span if self.doc.statements else Span(1, 1, 1, 2, 0, 0)
            self.error("E204", "this storyboard has no scene", first,
                       help='add a scene with a shot: scene "Opening" / shot "…"')
        self.place()
        return tl

    def seed(self, st: ast.Seed) -> None:
        tl = self.timeline
        if tl.seed_node is not None:
            self.error("E205", "a second `seed`", st.span, help=f"keep one seed (the first is on line {tl.seed_node.span.line})")
            return
        tl.seed_node = st
        if not re.fullmatch(r"[-+]?\d+", st.value):
            self.error("E304", f"the seed `{st.value}` is not a whole number", st.value_span, help="write e.g. `seed 42`")
            return
        value = int(st.value)
        if not model.SEED_MIN <= value <= model.SEED_MAX:
            self.error("E304", f"the seed {value} is outside the signed 32-bit range", st.value_span,
                       help=f"use a seed from {model.SEED_MIN} to {model.SEED_MAX}")
            return
        tl.seed = value

    def clock(self, st: ast.Clock) -> None:
        tl = self.timeline
        if tl.clock_node is not None:
            self.error("E205", "a second `clock`", st.span, help=f"keep one clock (the first is on line {tl.clock_node.span.line})")
            return
        tl.clock_node = st
        chosen = model.CLOCKS.get(st.name)
        if chosen is None:
            import difflib

            close = difflib.get_close_matches(st.name, list(model.CLOCKS), n=1)
            hint = f"did you mean `{close[0]}`? " if close else ""
            names = " or ".join(f"`{n}`" for n in model.CLOCKS)
            self.error("E305", f"unknown clock profile `{st.name}`", st.name_span, label="no clock has this name",
                       help=f"{hint}write `clock` followed by {names}")
            return
        if self.clock_override is None:
            tl.clock = chosen

    def define(self, st: ast.Define) -> None:
        tl = self.timeline
        if st.name in tl.defines:
            first = tl.defines[st.name].node
            self.error("E403", f"`{st.name}` is defined twice", st.name_span,
                       help=f"rename one of them (the first is on line {first.span.line})")
            return
        value = self.expand(st.text)
        tl.defines[st.name] = DefineInfo(st.name, value or "", st, broken=value is None)

    # -- placement --
    def place(self) -> None:
        scenes = self.timeline.scenes
        for i, scene in enumerate(scenes):
            prev = scenes[i - 1] if i else None
            scene.at = self.convert_position(scene.at)
            if prev is None:
                if scene.at is not None and scene.at.chunks != 0:
                    self.error("E501", f"the first scene starts at chunk 0, not {scene.at.chunks}", scene.at.span,
                               help="remove this `at` (the run begins with the first scene)")
                scene.start = 0
            elif scene.at is not None:
                scene.start = scene.at.chunks
            elif prev.end is not None:
                scene.start = prev.end
            elif prev.start is not None:
                self.error("E503", f"cannot tell where {scene.label} starts", scene.node.keyword_span,
                           label=f"{prev.label} has no length",
                           help=f"add `at N` here, or `for N` to {prev.label} (line {prev.node.span.line}) or to its last shot")
            scene.length = self.convert_length(scene.length, first_in_scene=True)
            self.place_shots(scene)
            nxt = scenes[i + 1] if i + 1 < len(scenes) else None
            last = scene.beats[-1] if scene.beats else None
            if scene.start is not None and scene.length is not None:
                scene.end, scene.end_from = scene.start + scene.length.chunks, "for"
            elif last is not None and last.length is not None and last.start is not None:
                scene.end, scene.end_from = last.start + last.length.chunks, "last shot"
            elif nxt is not None and nxt.at is not None and self.convert_position(nxt.at) is not None:
                scene.end, scene.end_from = nxt.at.chunks, "next scene"
            for j, beat in enumerate(scene.beats):
                if beat.start is None:
                    continue
                if beat.length is not None:
                    beat.end = beat.start + beat.length.chunks
                elif j + 1 < len(scene.beats):
                    beat.end = scene.beats[j + 1].start
                else:
                    beat.end = scene.end
        self.timeline.end = self.convert_position(self.timeline.end)

    def place_shots(self, scene: Scene) -> None:
        for j, beat in enumerate(scene.beats):
            beat.at = self.convert_position(beat.at)
            beat.length = self.convert_length(beat.length, first_in_scene=j == 0)
            if j == 0:
                if beat.at is not None and scene.start is not None and beat.at.chunks != scene.start:
                    self.error("E502", f"the scene's first shot starts with the scene, at chunk {scene.start}",
                               beat.at.span, label=f"this says chunk {beat.at.chunks}",
                               help=f"remove this `at`, or move the scene with `at {beat.at.chunks}` on the `scene` line")
                beat.start = scene.start
                continue
            before = scene.beats[j - 1]
            if beat.at is not None:
                beat.start = beat.at.chunks
            elif before.start is not None and before.length is not None:
                beat.start = before.start + before.length.chunks
            elif before.start is not None:
                self.error("E503", "cannot tell where this shot starts", beat.node.keyword_span,
                           label="the shot before it has no length",
                           help=f"add `at N` here, or `for N` to the shot on line {before.node.span.line}")


def resolve(doc: ast.Document, clock: model.Clock | None = None) -> tuple[Timeline, list[Diagnostic]]:
    """Place every scene and shot in absolute chunks and build every prompt.

    `clock` (the command line's `--clock`) overrides the storyboard's own `clock` statement.
    """
    r = _Resolver(doc, clock)
    return r.run(), r.diags
