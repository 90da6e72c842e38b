"""Resolve a Document into a Timeline: absolute chunk positions, folded and interpolated prompts.

What cannot be resolved (an unknown name, a position nothing determines, a malformed time)
becomes a diagnostic here; rules about a resolved plan (budgets, gaps, overlaps) live in checks.py.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from fractions import Fraction

from . import model
from .diagnostics import ERROR, NOTE, Diagnostic, Edit, Fix, Related, Span
from .syntax import ast

MAX_PROMPT_CHARS = 200_000
"""Largest prompt (after interpolation) llv builds; beyond it interpolation stops with E405."""

OPENER, CUT, SHOT = "opener", "cut", "shot"


@dataclass(slots=True)
class Time:
    """A resolved `at`/`for` value in chunks, with where it was written."""

    chunks: int
    span: Span  # the whole `at 5` / `for 5`
    written: str


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
    defines: dict[str, DefineInfo] = field(default_factory=dict)
    scenes: list[Scene] = field(default_factory=list)
    end: Time | None = None
    end_node: ast.End | None = None

    @property
    def beats(self) -> list[Beat]:
        """Every beat in source order."""
        return [b for s in self.scenes for b in s.beats]


# ---- time values -----------------------------------------------------------------------------

_TIME = re.compile(r"^([-+]?)(\d+)(?:\.(\d+))?(?::(\d+)(?:\.(\d+))?)?(s?)$")


def seconds_to_chunks(seconds: Fraction) -> tuple[int, bool]:
    """Nearest whole chunk count for a length in seconds, and whether it is exact to half a frame."""
    chunks = math.floor(seconds / model.CHUNK_SECONDS + Fraction(1, 2))
    exact = abs(chunks * model.CHUNK_SECONDS - seconds) <= model.HALF_FRAME_SECONDS
    return chunks, exact


def _fmt_seconds(x: Fraction) -> str:
    return f"{float(x):.2f}".rstrip("0").rstrip(".")


class _Resolver:
    def __init__(self, doc: ast.Document) -> None:
        self.doc = doc
        self.diags: list[Diagnostic] = []
        self.timeline = Timeline(doc.file, doc.source)

    def error(self, code: str, message: str, span: Span, label: str | None = None, help: str | None = None,
              notes: tuple[str, ...] = (), related: tuple[Related, ...] = ()) -> None:
        self.diags.append(Diagnostic(code, ERROR, message, self.doc.file, span, label, help, notes, related))

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
        if seconds is None:
            chunks = int(whole)
        else:
            chunks, exact = seconds_to_chunks(seconds)
            if not exact:
                exact_seconds = chunks * model.CHUNK_SECONDS
                self.diags.append(Diagnostic(
                    "N701", NOTE,
                    f"`{text}` is {_fmt_seconds(seconds / model.CHUNK_SECONDS)} chunks; using {chunks} "
                    f"({_fmt_seconds(exact_seconds)} s)",
                    self.doc.file, span,
                    help=f"one chunk is {model.FRAMES_PER_CHUNK} frames at {model.FPS} fps "
                         f"(~{_fmt_seconds(model.CHUNK_SECONDS)} s); write `{chunks}` to say chunks exactly",
                    fixes=(Fix(f"write `{chunks}` (chunks) for `{text}`", (Edit(span, str(chunks)),)),)
                    if sign != "-" and (chunks or timing.kind != "for") else (),
                ))
        if sign == "-" and (chunks or int(whole)):
            self.error("E302", f"`{text}` is negative", span, help="positions and lengths count up from chunk 0")
            return None
        if timing.kind == "for" and chunks == 0:
            self.error("E303", f"`for {text}` is no time at all", timing.span,
                       help="give a positive length, or remove `for` to let the next beat decide")
            return None
        return Time(chunks, timing.span, text)

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
                       help=f"move `define {name}` above the first line that uses it",
                       related=(Related(later.name_span, "defined here, below its use"),))
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
            if isinstance(st, (ast.Title, ast.Seed, ast.Define)) and scene_seen:
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
        if not re.fullmatch(r"[-+]?\d+", st.value):
            self.error("E304", f"the seed `{st.value}` is not a whole number", st.value_span, help="write e.g. `seed 42`")
            return
        value = int(st.value)
        if not model.SEED_MIN <= value <= model.SEED_MAX:
            self.error("E304", f"the seed {value} is outside the signed 32-bit range", st.value_span,
                       help=f"use a seed from {model.SEED_MIN} to {model.SEED_MAX}")
            return
        tl.seed = value

    def define(self, st: ast.Define) -> None:
        tl = self.timeline
        if st.name in tl.defines:
            first = tl.defines[st.name].node
            self.error("E403", f"`{st.name}` is defined twice", st.name_span, label="defined again here",
                       help="rename one of them",
                       related=(Related(first.name_span, "first defined here"),))
            return
        value = self.expand(st.text)
        tl.defines[st.name] = DefineInfo(st.name, value or "", st, broken=value is None)

    # -- placement --
    def place(self) -> None:
        scenes = self.timeline.scenes
        for i, scene in enumerate(scenes):
            prev = scenes[i - 1] if i else None
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
            self.place_shots(scene)
            nxt = scenes[i + 1] if i + 1 < len(scenes) else None
            last = scene.beats[-1] if scene.beats else None
            if scene.start is not None and scene.length is not None:
                scene.end, scene.end_from = scene.start + scene.length.chunks, "for"
            elif last is not None and last.length is not None and last.start is not None:
                scene.end, scene.end_from = last.start + last.length.chunks, "last shot"
            elif nxt is not None and nxt.at is not None:
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

    def place_shots(self, scene: Scene) -> None:
        for j, beat in enumerate(scene.beats):
            if j == 0:
                if beat.at is not None and scene.start is not None and beat.at.chunks != scene.start:
                    self.error("E502", f"the scene's first shot starts with the scene, at chunk {scene.start}",
                               beat.at.span, label=f"this says chunk {beat.at.chunks}",
                               help=f"remove this `at`, or move the scene with `at {beat.at.chunks}` on the `scene` line",
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


def resolve(doc: ast.Document) -> tuple[Timeline, list[Diagnostic]]:
    """Place every scene and shot in absolute chunks and build every prompt."""
    r = _Resolver(doc)
    return r.run(), r.diags
