"""Resolve a Document into a Timeline: absolute chunk positions, folded and interpolated prompts.

What cannot be resolved (an unknown name, a position nothing determines, a malformed time)
becomes a diagnostic here; rules about a resolved plan (budgets, gaps, overlaps) live in checks.py.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

from . import model
from .diagnostics import ERROR, NOTE, Diagnostic, Edit, Fix, Related, Span
from .syntax import ast

MAX_PROMPT_CHARS = 200_000
"""Largest prompt (after interpolation) llv builds; beyond it interpolation stops with E405."""
MAX_EXPANSION_CHARS = 4_000_000
"""Most characters interpolation inserts across a whole file; beyond it, one E405 and no more expansion."""
MAX_TEXT_ERRORS = 10
"""Stray braces and unknown names reported per text; the last one reported counts the rest."""
MAX_SUGGESTIONS = 200
"""Bounds the "did you mean" search for unknown names (distinct names looked up, candidates each)."""

OPENER, CUT, SHOT = model.OPENER, model.CUT, model.SHOT


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
        return None if self.start is None else model.scene_completes_at(self.start)

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
    variant: str | None = None  # the `variant` this timeline plays (None: the file has no variants)

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

MAX_CHUNKS = model.MAX_TIME_CHUNKS
"""The largest chunk count or position llv reads; beyond it, E306."""
MAX_SECONDS = model.MAX_TIME_SECONDS
"""The largest time in seconds llv reads; beyond it, E306."""
MAX_DECIMALS = 9
"""Decimal places a seconds value may have (a frame is 1/24 s; nine places are plenty)."""

_PART = re.compile(r"([0-9]+)(?:\.([0-9]+))?", re.ASCII)
TIME_FORMS = "a chunk count (12), seconds (6s, 7.5s), minutes:seconds (1:05, 1:05.5) or h:mm:ss (1:02:05)"


class NumberError(ValueError):
    """A time or seed as written that llv refuses: the code, the message and a help that leads to a valid value."""

    def __init__(self, code: str, message: str, help: str | None = None, label: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.help, self.label = code, message, help, label


def _advance(source: str, where: list[int], offset: int) -> tuple[int, int, int]:
    """(offset, line, column) of `offset`, counted on from a known (offset, line, column) before it."""
    start, line, column = where
    newlines = source.count("\n", start, offset)
    if newlines:
        return offset, line + newlines, offset - source.rfind("\n", start, offset)
    return offset, line, column + offset - start


def _shown(text: str) -> str:
    """A value as quoted in a message: cut short when it is very long."""
    return text if len(text) <= 40 else text[:40] + "…"


def _ascii_digits(text: str) -> str:
    """The text with every decimal digit of any script written as 0-9."""
    return "".join(str(unicodedata.decimal(c)) if not c.isascii() and unicodedata.decimal(c, None) is not None
                   else c for c in text)


def parse_time(text: str) -> int | Fraction:
    """A time exactly as written: whole chunks (an int) or seconds (a Fraction); raises NumberError otherwise.

    Forms: `12` (chunks), `6s`, `7.5s` (seconds), `1:05`, `1:05.5` (minutes:seconds), `1:02:05`
    (hours:minutes:seconds). An optional `+` is allowed; a negative value, any digit other than 0-9,
    a fraction of a chunk and values past MAX_CHUNKS or MAX_SECONDS are refused.
    """
    if not text.isascii():
        plain = _ascii_digits(text)
        help_ = "write times with the digits 0-9"
        if plain.isascii():
            try:
                parse_time(plain)
                help_ = f"write `{plain}`"
            except NumberError:
                pass
        raise NumberError("E301", f"`{_shown(text)}` has digits other than 0-9", help_)
    sign = text[0] if text[:1] in ("+", "-") else ""
    body = text[len(sign):]
    unit = body.endswith("s")
    body = body.removesuffix("s")
    matches = [_PART.fullmatch(p) for p in body.split(":")]
    parts = [m for m in matches if m is not None]
    if not body or len(parts) != len(matches):
        raise NumberError("E301", f"`{_shown(text)}` is not a time", f"write {TIME_FORMS}")
    if sign == "-" and any(c in "123456789" for c in body):
        raise NumberError("E302", f"`{_shown(text)}` is negative", "positions and lengths count up from chunk 0")
    if len(parts) > 3:
        raise NumberError("E301", f"`{_shown(text)}` has too many `:` parts", f"write {TIME_FORMS}")
    whole, frac = parts[0].groups()
    if len(parts) > 1 and (frac is not None or unit or any(p.group(2) for p in parts[1:-1])):
        raise NumberError("E301", f"`{_shown(text)}` mixes two time forms",
                        "write minutes:seconds as `1:05` or `1:05.5`, or seconds as `65s`")
    for p in parts[1:]:
        if len(p.group(1)) != 2 or int(p.group(1)) >= 60:
            raise NumberError("E301", f"`{_shown(text)}`: the parts after `:` must be two digits below 60",
                            "write minutes:seconds like `1:05`, or hours:minutes:seconds like `1:02:05`")
    last_frac = parts[-1].group(2) or ""
    if len(last_frac) > MAX_DECIMALS:
        raise NumberError("E301", f"`{_shown(text)}` has more than {MAX_DECIMALS} decimal places",
                        "a frame is 1/24 s: a few decimal places say any time exactly")
    if len(parts) == 1 and not unit:
        if frac is not None:
            raise NumberError("E301", f"`{_shown(text)}` is not a whole number of chunks",
                            f"write `{text.lstrip('+')}s` for seconds, or a whole number of chunks",
                            label="a chunk count cannot have a fraction")
        if len(whole.lstrip("0")) > len(str(MAX_CHUNKS)) or int(whole.lstrip("0") or "0") > MAX_CHUNKS:
            raise NumberError("E306", f"`{_shown(text)}` chunks is more than llv accepts",
                            f"times go up to {MAX_CHUNKS:,} chunks (about two weeks of video)")
        return int(whole.lstrip("0") or "0")
    if len(whole.lstrip("0")) > len(str(MAX_SECONDS)):
        raise NumberError("E306", f"`{_shown(text)}` is more than llv accepts",
                        f"times go up to {MAX_SECONDS:,} seconds (about eleven days)")
    minutes = 0
    for p in parts[:-1]:
        minutes = minutes * 60 + int(p.group(1).lstrip("0") or "0")
    last_whole = parts[-1].group(1).lstrip("0") or "0"
    seconds = minutes * 60 + int(last_whole) + Fraction(int(last_frac or "0"), 10 ** len(last_frac))
    if seconds > MAX_SECONDS:
        raise NumberError("E306", f"`{_shown(text)}` is more than llv accepts",
                        f"times go up to {MAX_SECONDS:,} seconds (about eleven days)")
    return seconds


def parse_seed(text: str) -> int:
    """A seed exactly as written: a whole number in the signed 32-bit range; raises NumberError (E304) otherwise."""
    shown = _shown(text)
    if not text.isascii():
        plain = _ascii_digits(text)
        ok = plain.isascii() and re.fullmatch(r"[-+]?[0-9]+", plain) and _fits_a_seed(plain)
        raise NumberError("E304", f"the seed `{shown}` has digits other than 0-9",
                        f"write `seed {plain}`" if ok else "write e.g. `seed 42`")
    if not re.fullmatch(r"[-+]?[0-9]+", text):
        raise NumberError("E304", f"the seed `{shown}` is not a whole number", "write e.g. `seed 42`")
    if not _fits_a_seed(text):
        raise NumberError("E304", f"the seed {shown} is outside the signed 32-bit range",
                        f"use a seed from {model.SEED_MIN} to {model.SEED_MAX}")
    value = _whole(text)
    assert value is not None  # _fits_a_seed said so
    return value


def _whole(text: str) -> int | None:
    """A signed whole number of at most 12 significant digits, else None (never a huge int)."""
    sign = -1 if text[0] == "-" else 1
    digits = text.lstrip("+-").lstrip("0") or "0"
    return sign * int(digits) if len(digits) <= 12 else None


def _fits_a_seed(text: str) -> bool:
    value = _whole(text)
    return value is not None and model.SEED_MIN <= value <= model.SEED_MAX


def _fmt_seconds(x: Fraction) -> str:
    return f"{float(x):.2f}".rstrip("0").rstrip(".")


def timecode(seconds: Fraction) -> str:
    """Video time as m:ss.s (exact for any length, however large)."""
    minutes, tenths = divmod(round(seconds * 10), 600)
    return f"{minutes}:{tenths // 10:02d}.{tenths % 10}"


class _Resolver:
    def __init__(self, doc: ast.Document, clock: model.Clock | None = None,
                 defines: dict[str, str] | None = None) -> None:
        self.doc = doc
        self.overrides = defines or {}
        self.file, self.source = doc.file, doc.source  # where the text being read is (an included file's, for its defines)
        self.diags: list[Diagnostic] = []
        self.timeline = Timeline(doc.file, doc.source)
        self.clock_override = clock
        if clock is not None:
            self.timeline.clock = clock
        self.expanded = 0  # characters inserted by interpolation so far, across the file
        self._defines_by_name: dict[str, ast.Define] | None = None
        self._suggestions: dict[str, str | None] = {}

    def error(self, code: str, message: str, span: Span, label: str | None = None, help: str | None = None,
              notes: tuple[str, ...] = (), related: tuple[Related, ...] = ()) -> None:
        self.diags.append(Diagnostic(code, ERROR, message, self.file, span, label, help, notes, related))

    # -- times --
    def time(self, timing: ast.Timing) -> Time | None:
        text, span = timing.time, timing.time_span
        try:
            value = parse_time(text)
        except NumberError as e:
            self.error(e.code, e.message, span, label=e.label, help=e.help)
            return None
        seconds = None if isinstance(value, int) else value
        chunks = value if isinstance(value, int) else 0  # seconds become chunks once placed (see convert_*)
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
        first = clock.chunk_frames(0 if first_in_scene else 1)  # frames in the chunk the length starts on
        if t.chunks == 0:
            self.error("E303", f"`for {t.written}` is no time at all: less than half a chunk", t.span,
                       label="rounds to no time at all",
                       help=f"the shortest length is one chunk: `for 1` (a chunk here is {first} frames, "
                            f"{_fmt_seconds(Fraction(first, model.FPS))} s), or remove `for` to let the next beat decide")
            return None
        if not exact:
            frames = clock.scene_frames(t.chunks, first_in_scene)
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
        """N701: a seconds value that is not exact on the clock, with the fix that writes the chunks it meant."""
        span = t.time_span or t.span
        fixes = (Fix(f"write `{t.chunks}` (chunks) for `{t.written}`", (Edit(span, str(t.chunks)),)),) \
            if t.time_span is not None else ()
        self.diags.append(Diagnostic("N701", NOTE, message, self.doc.file, span, help=help, fixes=fixes))

    def timings(self, node: ast.Scene | ast.Shot) -> tuple[Time | None, Time | None]:
        found: dict[str, ast.Timing] = {}
        for t in node.timings:
            if t.kind in found:
                self.error("E206", f"`{t.kind}` is given twice", t.span, label="given again here",
                           help=f"keep one `{t.kind}`",
                           related=(Related(found[t.kind].span, "first given here"),))
                continue
            found[t.kind] = t
        at = self.time(found["at"]) if "at" in found else None
        length = self.time(found["for"]) if "for" in found else None
        return at, length

    # -- prompts --
    _BRACES = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}|\{|\}")

    def brace_spans(self, text: ast.Text) -> Callable[[int], Span]:
        """A function from the index of a brace token of a text's value to its source span.

        Unescaping only removes backslashes, so the brace tokens of the literal as written are the
        same, in the same order, as those of its value. Indexes must be asked in increasing order:
        the literal is read once, however many spans are asked for.
        """
        q = 3 if text.triple else 1
        base = text.span.start + q
        source = self.source
        raw = source[base : text.span.end - q]
        tokens = enumerate(self._BRACES.finditer(raw))
        where = [text.span.start, text.span.line, text.span.column]  # a position already counted

        def span(index: int) -> Span:
            m = next(m for i, m in tokens if i == index)
            start, line, column = _advance(source, where, base + m.start())
            where[:] = [start, line, column]
            return Span(line, column, line, column + len(m.group(0)), start, base + m.end())

        return span

    def expand(self, text: ast.Text) -> str | None:
        """Interpolate `{name}` and fold whitespace; None if the text has an error.

        The work is linear in the text: a stray brace or unknown name costs one step, at most
        MAX_TEXT_ERRORS of them are reported per text, and the characters inserted across the whole
        file are bounded by MAX_EXPANSION_CHARS.
        """
        value = text.value
        if "{" not in value and "}" not in value:
            return " ".join(value.split())
        if self.expanded > MAX_EXPANSION_CHARS:
            return None  # already reported (E405) for the whole file
        pieces: list[str] = []
        size = 0
        last = 0
        ok = True
        span_of = self.brace_spans(text)
        reported = len(self.diags)
        for index, m in enumerate(self._BRACES.finditer(value)):
            pieces.append(value[last : m.start()])
            last = m.end()
            token = m.group(0)
            if token in ("{{", "}}"):
                pieces.append(token[0])
                continue
            name = m.group(1)
            if name is None or name not in self.timeline.defines:
                ok = False
                if len(self.diags) - reported >= MAX_TEXT_ERRORS:
                    continue
                if name is None:
                    self.error("E404", f"a single `{token}` is not part of a `{{name}}`", span_of(index),
                               help=f"write `{token}{token}` for a literal brace")
                else:
                    self._unknown_name(name, span_of(index))
                continue
            info = self.timeline.defines[name]
            info.used = True
            if info.broken:
                ok = False
                continue
            size += len(info.value)
            self.expanded += len(info.value)
            if self.expanded > MAX_EXPANSION_CHARS:
                self.error("E405", f"interpolation across this file makes more than {MAX_EXPANSION_CHARS:,} "
                                   "characters of prompts", text.span,
                           help="use fewer or shorter `{name}` insertions; later texts are not expanded")
                return None
            if size > MAX_PROMPT_CHARS:
                self.error("E405", f"interpolation makes this text longer than {MAX_PROMPT_CHARS:,} characters",
                           text.span, help="use fewer or shorter `{name}` insertions")
                return None
            pieces.append(info.value)
        if not ok:
            self._count_the_rest(value, reported)
            return None
        pieces.append(value[last:])
        return " ".join("".join(pieces).split())

    def _count_the_rest(self, value: str, reported: int) -> None:
        """When a text had more errors than are shown, say so on the last one shown."""
        shown = len(self.diags) - reported
        if shown < MAX_TEXT_ERRORS:
            return
        total = sum(1 for m in self._BRACES.finditer(value)
                    if m.group(0) in ("{", "}") or (m.group(1) and m.group(1) not in self.timeline.defines))
        if total > shown:
            self.diags[-1] = dataclasses.replace(
                self.diags[-1],
                notes=(*self.diags[-1].notes, f"{total - shown:,} more like these in this text are not shown"))

    def _unknown_name(self, name: str, span: Span) -> None:
        later = self._all_defines().get(name)
        if later is not None:
            here = (later.origin.file if later.origin is not None else self.doc.file) == self.file
            self.error("E402", f"`{{{name}}}` is used before its define", span,
                       help=f"move `define {name}` above the statement that uses it",
                       related=(Related(later.name_span, "defined here, below its use"),) if here else ())
            return
        close = self._closest_define(name)
        hint = f"did you mean `{{{close}}}`? " if close else ""
        self.error("E402", f"unknown name `{{{name}}}`", span, label="no define has this name",
                   help=f"{hint}add `define {name} = \"…\"` above, or write `{{{{{name}}}}}` for literal braces")

    def _all_defines(self) -> dict[str, ast.Define]:
        """Every define of the file by name (the first of each), found once."""
        if self._defines_by_name is None:
            self._defines_by_name = {}
            for st in self.doc.statements:
                if isinstance(st, ast.Define):
                    self._defines_by_name.setdefault(st.name, st)
        return self._defines_by_name

    def _closest_define(self, name: str) -> str | None:
        """The define name closest to a misspelt one, if any (bounded work however many names are misspelt)."""
        if name not in self._suggestions:
            close = None
            if len(self._suggestions) < MAX_SUGGESTIONS:
                names = [n for n in self.timeline.defines if abs(len(n) - len(name)) <= 3][:MAX_SUGGESTIONS]
                found = difflib.get_close_matches(name, names, n=1)
                close = found[0] if found else None
            self._suggestions[name] = close
        return self._suggestions[name]

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
                    self.error("E205", "a second `title`", st.span, help="keep one title",
                               related=(Related(title_node.span, "the first title"),))
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
                    self.error("E205", "a second `end`", st.span, help="keep one `end at`",
                               related=(Related(tl.end_node.span, "the first `end`"),))
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
            self.error("E205", "a second `seed`", st.span, help="keep one seed",
                       related=(Related(tl.seed_node.span, "the first seed"),))
            return
        tl.seed_node = st
        try:
            tl.seed = parse_seed(st.value)
        except NumberError as e:
            self.error(e.code, e.message, st.value_span, help=e.help)

    def clock(self, st: ast.Clock) -> None:
        tl = self.timeline
        if tl.clock_node is not None:
            self.error("E205", "a second `clock`", st.span, help=f"keep one clock (the first is on line {tl.clock_node.span.line})")
            return
        tl.clock_node = st
        chosen = model.CLOCKS.get(st.name)
        if chosen is None:
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
        if st.origin is not None:  # from an included file: its diagnostics name that file
            self.file, self.source = st.origin.file, st.origin.source
        try:
            if st.name in tl.defines:
                first = tl.defines[st.name].node
                first_file = first.origin.file if first.origin is not None else self.doc.file
                same = first_file == self.file
                self.error("E403", f"`{st.name}` is defined twice", st.name_span, label="defined again here",
                           help="rename one of them",
                           notes=() if same else (f"first defined in {first_file}:{first.name_span.line}",),
                           related=(Related(first.name_span, "first defined here"),) if same else ())
                return
            value = self.expand(st.text)
            if st.name in self.overrides:  # `--set name="value"`: the text as given, its own text still checked
                value = " ".join(self.overrides[st.name].split())
            tl.defines[st.name] = DefineInfo(st.name, value or "", st, broken=value is None)
        finally:
            self.file, self.source = self.doc.file, self.doc.source

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
                           help=f"add `at N` here, or `for N` to {prev.label} or to its last shot",
                           related=(Related(prev.node.keyword_span, f"{prev.label} starts here, with no `for`"),))
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
                               help="remove this `at`: a scene's first shot starts where the scene does",
                               related=(Related(scene.node.keyword_span, f"the scene starts here, at chunk {scene.start}"),))
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
                           help="add `at N` here, or `for N` to the shot before it",
                           related=(Related(before.node.keyword_span, "the shot before, with no `for`"),))


VARIANT_NAME = re.compile(r"[A-Za-z0-9_-]{1,40}")
"""What a variant may be called: it becomes part of program and file names (`FILE@name`)."""


def take_name(file: str, variant: str | None) -> str:
    """A variant's program name, `FILE@variant` (the file name alone when there are no variants)."""
    return file if variant is None else f"{file}@{variant}"


def split_variants(doc: ast.Document) -> tuple[list[tuple[str | None, ast.Document]], list[Diagnostic]]:
    """One Document per variant: the shared opening followed by that variant's statements.

    A file without `variant` lines is its own one document (named None). Every statement keeps its
    span in the one source text, so each variant's diagnostics point into the file as written.
    """
    opening: list[ast.Statement] = []
    variants: list[tuple[ast.Variant, list[ast.Statement]]] = []
    diags: list[Diagnostic] = []
    scene_seen = False
    for st in doc.statements:
        if isinstance(st, ast.Variant):
            if not scene_seen and not variants:
                diags.append(Diagnostic("E207", ERROR, "a `variant` before any scene", doc.file, st.keyword_span,
                                        help="write the shared opening (a scene with a shot) above the first `variant`"))
            variants.append((st, []))
            continue
        scene_seen = scene_seen or isinstance(st, ast.Scene)
        (variants[-1][1] if variants else opening).append(st)
    if not variants:
        return [(None, doc)], diags
    seen: dict[str, ast.Variant] = {}
    out: list[tuple[str | None, ast.Document]] = []
    for node, body in variants:
        name = node.name.value
        if not VARIANT_NAME.fullmatch(name):
            diags.append(Diagnostic("E209", ERROR, f"`{name}` cannot be a variant name", doc.file, node.name.span,
                                    label="used in program and file names",
                                    help="name it with 1 to 40 letters, digits, `-` or `_`"))
        elif name in seen:
            diags.append(Diagnostic("E208", ERROR, f"a second variant named `{name}`", doc.file, node.name.span,
                                    help="give each variant its own name",
                                    related=(Related(seen[name].name.span, "the first variant of this name"),)))
        seen.setdefault(name, node)
        out.append((name, dataclasses.replace(doc, statements=opening + body)))  # checked even when misnamed
    return out, diags


def resolve(doc: ast.Document, clock: model.Clock | None = None,
            defines: dict[str, str] | None = None) -> tuple[Timeline, list[Diagnostic]]:
    """Place every scene and shot in absolute chunks and build every prompt.

    `clock` (the command line's `--clock`) overrides the storyboard's own `clock` statement;
    `defines` (`--set name=value`) the values of defines of those names.
    """
    r = _Resolver(doc, clock, defines)
    return r.run(), r.diags
