"""Diagnostics: what is wrong, where (a source span), how to fix it; and their text and JSON renderings."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any, TextIO

ERROR = "error"
WARNING = "warning"
NOTE = "note"
SEVERITY_ORDER = {ERROR: 0, WARNING: 1, NOTE: 2}


@dataclass(slots=True)
class Span:
    """A range of source text: 1-based line and column (in characters), end exclusive; offsets 0-based."""

    line: int
    column: int
    end_line: int
    end_column: int
    start: int
    end: int

    def to(self, other: Span) -> Span:
        """The span from the start of this one to the end of `other`."""
        return Span(self.line, self.column, other.end_line, other.end_column, self.start, other.end)

    @classmethod
    def of(cls, source: str, start: int, end: int) -> Span:
        """The span of source[start:end] (clamped to the text); an empty span still covers one column."""
        start = max(0, min(start, len(source)))
        end = max(start, min(end, len(source)))
        line = source.count("\n", 0, start) + 1
        column = start - (source.rfind("\n", 0, start) + 1) + 1
        end_line = line + source.count("\n", start, end)
        end_column = end - (source.rfind("\n", 0, end) + 1) + 1
        if end == start:
            end_column = column + 1
        return cls(line, column, end_line, end_column, start, end)


@dataclass(frozen=True, slots=True)
class Related:
    """A secondary place a diagnostic points at, with what it is there ("first defined here")."""

    span: Span
    message: str

    def to_json(self) -> dict[str, Any]:
        return {**_position(self.span), "message": self.message}


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace the source text under `span` with `text` (an empty span inserts)."""

    span: Span
    text: str

    def to_json(self) -> dict[str, Any]:
        s = self.span
        if s.start == s.end:  # an insertion: the end is the start (Span.of widens empty spans to one column)
            return {"line": s.line, "column": s.column, "end_line": s.line, "end_column": s.column, "text": self.text}
        return {**_position(s), "text": self.text}


@dataclass(frozen=True, slots=True)
class Fix:
    """A machine-applicable suggestion: what it does, in words, and its non-overlapping edits."""

    message: str
    edits: tuple[Edit, ...]

    def to_json(self) -> dict[str, Any]:
        return {"message": self.message, "edits": [e.to_json() for e in self.edits]}


def _position(s: Span) -> dict[str, Any]:
    return {"line": s.line, "column": s.column, "end_line": s.end_line, "end_column": s.end_column}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding, located in a file, with a stable code.

    The severity is the codes table's (longlive_dsl.codes): a code in the table with any other
    severity is a bug, refused here. `related` are secondary labelled spans in the same file;
    `fixes` the machine-applicable suggestions `llv fix` and the language server apply.
    """

    code: str
    severity: str
    message: str
    file: str
    span: Span
    label: str | None = None
    help: str | None = None
    notes: tuple[str, ...] = field(default=())
    related: tuple[Related, ...] = field(default=())
    fixes: tuple[Fix, ...] = field(default=())
    variant: str | None = None  # the `variant` it belongs to; None: the whole file (or a file without variants)

    def __post_init__(self) -> None:
        from .codes import CODES

        known = CODES.get(self.code)
        if known is not None and known.severity != self.severity:
            raise ValueError(f"{self.code} is a {known.severity} in the codes table, not a {self.severity}")

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": self.file,
            **_position(self.span),
            "label": self.label,
            "help": self.help,
            "notes": list(self.notes),
            "related": [r.to_json() for r in self.related],
            "fixes": [f.to_json() for f in self.fixes],
            **({"variant": self.variant} if self.variant is not None else {}),
        }


def severity_of(code: str) -> str:
    """A code's severity, from the codes table (the one place severities are written)."""
    from .codes import CODES

    return CODES[code].severity


def sort_key(d: Diagnostic) -> tuple[str, int, int, str, str]:
    """Diagnostics in file order: by position, then errors first, then by code (then by variant)."""
    return (d.file, d.span.start, SEVERITY_ORDER[d.severity], d.code, d.variant or "")


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    """True when any diagnostic is an error (compile refuses)."""
    return any(d.is_error for d in diagnostics)


def use_color(stream: object) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


_COLORS = {ERROR: "1;31", WARNING: "1;33", NOTE: "1;36", "bold": "1", "blue": "1;34"}


def _paint(text: str, style: str, color: bool) -> str:
    return f"\x1b[{_COLORS[style]}m{text}\x1b[0m" if color else text


# ---- showing source text safely -------------------------------------------------------------

TAB_WIDTH = 4
# Characters that must never reach a terminal raw: C0/C1 controls and DEL (escape sequences), the
# line and paragraph separators, and the bidirectional overrides that reorder what is shown.
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape_char(m: re.Match[str]) -> str:
    code = ord(m.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """Text with every control, separator and bidi-override character written as an escape (`\\x1b`); tabs kept."""
    return _UNSAFE.sub(_escape_char, text)


def _cells(line: str, limit: int | None = None) -> tuple[str, list[int], bool]:
    """A source line as shown (tabs expanded, controls escaped); per character, the display column where
    it starts (one more entry: the width shown); and whether it was cut at `limit` cells. Widths are
    terminal cells: a CJK character or an emoji takes two, a combining mark none."""
    import wcwidth

    shown: list[str] = []
    columns: list[int] = []
    width = 0
    cut = False
    for grapheme in wcwidth.iter_graphemes(line):
        if grapheme == "\t":
            text, cells = " " * TAB_WIDTH, TAB_WIDTH
        else:
            text = printable(grapheme)
            cells = max(0, wcwidth.width(text)) if text == grapheme else len(text)
        if limit is not None and width + cells > limit:
            cut = True
            columns += [width] * (len(line) - len(columns))
            break
        columns += [width] * len(grapheme)
        shown.append(text)
        width += cells
    columns.append(width)
    return "".join(shown), columns, cut


def display_width(text: str) -> int:
    """How many terminal cells `text` takes once shown as render_text shows source lines."""
    return _cells(text)[1][-1]


MAX_SHOWN_LINE = 200
"""Characters (and display cells) of a source line shown; a longer line is shown as a window around its marks."""


@dataclass(slots=True)
class _Mark:
    span: Span
    label: str | None
    char: str  # "^" for the primary span, "-" for related ones
    style: str


def render_text(diagnostic: Diagnostic, source: str | None, color: bool = False) -> str:
    """Render one diagnostic like rustc: header, location, the source lines with carets (`^` for the
    primary span, `-` for related ones, each with its label), notes and help. Control characters in
    the source or the messages are shown escaped; carets are placed by display width."""
    d, s = diagnostic, diagnostic.span
    out = [
        _paint(f"{d.severity}[{d.code}]", d.severity, color) + _paint(f": {printable(d.message)}", "bold", color),
    ]
    marks = [_Mark(s, d.label, "^", d.severity)] + [_Mark(r.span, r.message, "-", "blue") for r in d.related]
    if source is not None:
        marks = [m for m in marks if m.span.start <= len(source)]
    lines = sorted({m.span.line for m in marks}) if source is not None else []
    gutter = " " * max(len(str(s.line)), *(len(str(n)) for n in lines)) if lines else " " * len(str(s.line))
    where = f' (in variant "{printable(d.variant)}")' if d.variant is not None else ""
    out.append(f"{gutter}{_paint('-->', 'blue', color)} {printable(d.file)}:{s.line}:{s.column}{where}")
    if source is not None and lines:
        bar = _paint("|", "blue", color)
        out.append(f"{gutter} {bar}")
        previous = None
        for number in lines:
            if previous is not None and number > previous + 1:
                out.append(_paint("...", "blue", color))
            previous = number
            here = sorted((m for m in marks if m.span.line == number), key=lambda m: (m.span.column, m.char != "^"))
            line_start = here[0].span.start - (here[0].span.column - 1)
            line_end = source.find("\n", line_start)
            length = (len(source) if line_end == -1 else line_end) - line_start
            lo = max(0, here[0].span.column - 1 - 40) if length > MAX_SHOWN_LINE else 0
            part = source[line_start + lo : line_start + min(length, lo + MAX_SHOWN_LINE)]  # never copy a whole long line
            shown, columns, cut = _cells(part, MAX_SHOWN_LINE)
            prefix = "…" if lo else ""
            suffix = "…" if cut or lo + len(part) < length else ""
            out.append(f"{_paint(str(number).rjust(len(gutter)), 'blue', color)} {bar} {prefix}{shown}{suffix}".rstrip())
            for mark in here:
                a = min(max(0, mark.span.column - 1 - lo), len(part))
                b = min(max(0, mark.span.end_column - 1 - lo), len(part)) \
                    if mark.span.end_line == mark.span.line else len(part)
                start, stop = columns[a] + len(prefix), columns[max(a, b)] + len(prefix)
                caret = " " * start + _paint(mark.char * max(1, stop - start), mark.style, color)
                if mark.label:
                    caret += " " + _paint(printable(mark.label), mark.style, color)
                out.append(f"{gutter} {bar} {caret}")
    for note in d.notes:
        out.append(f"{gutter} = note: {printable(note)}")
    if d.help:
        out.append(f"{gutter} = {_paint('help', 'bold', color)}: {printable(d.help)}")
    return "\n".join(out)


def summary(diagnostics: list[Diagnostic], files: int) -> str:
    """A one-line count of findings, like ruff's."""
    counts = {sev: sum(1 for d in diagnostics if d.severity == sev) for sev in SEVERITY_ORDER}
    where = f"{files} file" + ("" if files == 1 else "s")
    if not diagnostics:
        return f"All clean: no problems in {where}."
    parts = [f"{n} {sev}{'' if n == 1 else 's'}" for sev, n in counts.items() if n]
    return f"Found {', '.join(parts)} in {where}."


_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def json_text(value: object) -> str:
    """Indented JSON that is safe to print: json escapes C0 controls; this also escapes DEL, C1 and bidi controls."""
    import json

    text = json.dumps(value, indent=2, ensure_ascii=False)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def render_json(diagnostics: list[Diagnostic]) -> str:
    """The machine format: a JSON array of diagnostics (stable keys, 1-based lines and columns)."""
    return json_text([d.to_json() for d in diagnostics])


def print_diagnostics(diagnostics: list[Diagnostic], sources: dict[str, str], stream: TextIO | None = None) -> None:
    """Print diagnostics to a stream (stderr by default), coloured when it is a terminal."""
    stream = stream or sys.stderr
    color = use_color(stream)
    sources = dict(sources)  # included files read here are not the caller's
    for d in sorted(diagnostics, key=sort_key):
        print(render_text(d, sources.get(d.file) or _included_source(d.file, sources), color) + "\n", file=stream)


def _included_source(file: str, sources: dict[str, str]) -> str | None:
    """The text of a file a diagnostic is in but the caller did not read (an included library), read once."""
    from .source import SourceError, read_source

    if file.startswith("<") or file == "-":
        return None
    try:
        sources[file] = read_source(file)
    except SourceError:
        return None
    return sources[file]
