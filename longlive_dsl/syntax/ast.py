"""The .llv AST: one node per statement, every node with its source span."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..diagnostics import Span


@dataclass(slots=True)
class Text:
    """A string literal: its unescaped value (not yet folded) and whether it was triple-quoted."""

    value: str
    span: Span
    triple: bool = False


@dataclass(slots=True)
class Timing:
    """`at T` or `for D`: the keyword and the time exactly as written."""

    kind: str  # "at" | "for"
    time: str
    span: Span  # keyword through the time
    time_span: Span


@dataclass(slots=True)
class Title:
    text: Text
    span: Span


@dataclass(slots=True)
class Seed:
    value: str
    value_span: Span
    span: Span


@dataclass(slots=True)
class Clock:
    """`clock measured` / `clock docs`: which chunk clock seconds are converted on."""

    name: str
    name_span: Span
    span: Span


@dataclass(slots=True)
class Define:
    name: str
    name_span: Span
    text: Text
    span: Span
    origin: Document | None = None  # the included file it comes from (None: the file being read)


@dataclass(slots=True)
class Scene:
    name: Text | None
    timings: list[Timing]
    span: Span
    keyword_span: Span


@dataclass(slots=True)
class Shot:
    timings: list[Timing]
    prompt: Text
    span: Span
    keyword_span: Span


@dataclass(slots=True)
class End:
    time: str
    time_span: Span
    span: Span


@dataclass(slots=True)
class Variant:
    """`variant "name"`: an alternative continuation of the opening, running to the next `variant` or the end."""

    name: Text
    span: Span
    keyword_span: Span


@dataclass(slots=True)
class Include:
    """`include "path.llv"`: the defines of another file, its path relative to this one."""

    path: Text
    span: Span
    keyword_span: Span


@dataclass(slots=True)
class Comment:
    text: str  # including the leading '#'
    span: Span


Statement = Title | Seed | Clock | Define | Scene | Shot | End | Variant | Include


@dataclass(slots=True)
class Document:
    """A parsed file: its statements in order, and its comments (kept for the formatter)."""

    file: str
    source: str
    statements: list[Statement]
    comments: list[Comment] = field(default_factory=list)
