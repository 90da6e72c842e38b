"""One pass over a storyboard text: parse, resolve and check, keeping every stage's result.

`check`, `compile`, `llv lint` and the language server are all built on `analyse`, so what an
editor shows is exactly what the command line reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .diagnostics import Diagnostic, has_errors, sort_key
from .source import normalise_text
from .syntax import ast
from .timeline import Timeline


@dataclass(frozen=True, slots=True)
class Analysis:
    """A storyboard, analysed: its text as parsed, its Document and Timeline (None when a stage failed), every diagnostic."""

    source: str  # the text as parsed: no BOM, `\n` line ends
    file: str
    document: ast.Document | None
    timeline: Timeline | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is an error (the storyboard compiles)."""
        return self.timeline is not None and not has_errors(self.diagnostics)


def analyse(source: str, file: str = "<input>", clock: str | None = None) -> Analysis:
    """Parse, resolve and check a text once (a BOM and CRLF or CR line ends are accepted, as `llv lint` does).

    `clock` ("measured" or "docs", as `--clock` gives it) overrides the storyboard's `clock` statement.
    """
    from .checks import check
    from .model import CLOCKS
    from .syntax import parse
    from .timeline import resolve

    if clock is not None and clock not in CLOCKS:
        raise ValueError(f"unknown clock profile {clock!r}; known: {', '.join(CLOCKS)}")
    text = normalise_text(source)
    document, diagnostics = parse(text, file)
    if document is None:
        return Analysis(text, file, None, None, sorted(diagnostics, key=sort_key))
    timeline, diagnostics = resolve(document, CLOCKS[clock] if clock is not None else None)
    if not has_errors(diagnostics):
        diagnostics += check(timeline)
    return Analysis(text, file, document, timeline, sorted(diagnostics, key=sort_key))
