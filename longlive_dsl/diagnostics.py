"""Diagnostics: what is wrong, where (a source span), how to fix it; and their text and JSON renderings."""

from __future__ import annotations

import os
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
class Diagnostic:
    """One finding, located in a file, with a stable code."""

    code: str
    severity: str
    message: str
    file: str
    span: Span
    label: str | None = None
    help: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def to_json(self) -> dict[str, Any]:
        s = self.span
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": self.file,
            "line": s.line,
            "column": s.column,
            "end_line": s.end_line,
            "end_column": s.end_column,
            "label": self.label,
            "help": self.help,
            "notes": list(self.notes),
        }


def sort_key(d: Diagnostic) -> tuple[str, int, int, str]:
    return (d.file, d.span.start, SEVERITY_ORDER[d.severity], d.code)


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    """True when any diagnostic is an error (compile refuses)."""
    return any(d.is_error for d in diagnostics)


def use_color(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


_COLORS = {ERROR: "1;31", WARNING: "1;33", NOTE: "1;36", "bold": "1", "blue": "1;34"}


def _paint(text: str, style: str, color: bool) -> str:
    return f"\x1b[{_COLORS[style]}m{text}\x1b[0m" if color else text


def _source_line(source: str, span: Span) -> str:
    begin = source.rfind("\n", 0, span.start) + 1
    stop = source.find("\n", span.start)
    return source[begin : stop if stop != -1 else len(source)]


MAX_SHOWN_LINE = 200


def render_text(diagnostic: Diagnostic, source: str | None, color: bool = False) -> str:
    """Render one diagnostic like rustc: header, location, the source line with a caret, help."""
    d, s = diagnostic, diagnostic.span
    out = [
        _paint(f"{d.severity}[{d.code}]", d.severity, color) + _paint(f": {d.message}", "bold", color),
    ]
    gutter = " " * len(str(s.line))
    out.append(f"{gutter}{_paint('-->', 'blue', color)} {d.file}:{s.line}:{s.column}")
    if source is not None and s.start <= len(source):
        text = _source_line(source, s).replace("\t", " ")
        first = s.column - 1
        last = s.end_column - 1 if s.end_line == s.line else len(text)
        width = max(1, last - first)
        if len(text) > MAX_SHOWN_LINE:  # keep very long lines readable: show a window around the span
            lo = max(0, first - 40)
            text = ("…" if lo else "") + text[lo : lo + MAX_SHOWN_LINE] + "…"
            first = first - lo + (1 if lo else 0)
            width = min(width, MAX_SHOWN_LINE - (first - 1))
        bar = _paint("|", "blue", color)
        out.append(f"{gutter} {bar}")
        out.append(f"{_paint(str(s.line), 'blue', color)} {bar} {text}")
        caret = " " * first + _paint("^" * width, d.severity, color)
        if d.label:
            caret += " " + _paint(d.label, d.severity, color)
        out.append(f"{gutter} {bar} {caret}")
    for note in d.notes:
        out.append(f"{gutter} = note: {note}")
    if d.help:
        out.append(f"{gutter} = {_paint('help', 'bold', color)}: {d.help}")
    return "\n".join(out)


def summary(diagnostics: list[Diagnostic], files: int) -> str:
    """A one-line count of findings, like ruff's."""
    counts = {sev: sum(1 for d in diagnostics if d.severity == sev) for sev in SEVERITY_ORDER}
    where = f"{files} file" + ("" if files == 1 else "s")
    if not diagnostics:
        return f"All clean: no problems in {where}."
    parts = [f"{n} {sev}{'' if n == 1 else 's'}" for sev, n in counts.items() if n]
    return f"Found {', '.join(parts)} in {where}."


def render_json(diagnostics: list[Diagnostic]) -> str:
    """The machine format: a JSON array of diagnostics (stable keys, 1-based lines and columns)."""
    import json

    return json.dumps([d.to_json() for d in diagnostics], indent=2, ensure_ascii=False)


def print_diagnostics(diagnostics: list[Diagnostic], sources: dict[str, str], stream: TextIO | None = None) -> None:
    """Print diagnostics to a stream (stderr by default), coloured when it is a terminal."""
    stream = stream or sys.stderr
    color = use_color(stream)
    for d in sorted(diagnostics, key=sort_key):
        print(render_text(d, sources.get(d.file), color) + "\n", file=stream)
