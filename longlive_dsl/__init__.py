"""llv: the LongLive-2.0 storyboard language. parse -> resolve -> check -> compile -> run.

    >>> from longlive_dsl import check, compile
    >>> timeline, diagnostics = check(text, "story.llv")
    >>> program, diagnostics = compile(text, "story.llv")
    >>> result = run(program, video="out.mp4", trace="run.jsonl")   # needs the `run` and `sim` extras
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .diagnostics import Diagnostic
    from .program import Program
    from .syntax.ast import Document
    from .timeline import Timeline

__all__ = ["parse", "check", "compile", "compile_file", "run", "read_source", "SourceError"]

from .source import SourceError, read_source  # noqa: E402


def parse(source: str, file: str = "<input>") -> tuple[Document | None, list[Diagnostic]]:
    """Text -> AST (None with the syntax errors when it does not parse)."""
    from .syntax import parse as _parse

    return _parse(source, file)


def check(source: str, file: str = "<input>", clock: str | None = None) -> tuple[Timeline | None, list[Diagnostic]]:
    """Parse, resolve and check: the Timeline (None on syntax errors) and every diagnostic, sorted.

    `clock` ("measured" or "docs", as `--clock` gives it) overrides the storyboard's `clock` statement.
    """
    from .checks import check as _check
    from .diagnostics import has_errors, sort_key
    from .model import CLOCKS
    from .timeline import resolve

    if clock is not None and clock not in CLOCKS:
        raise ValueError(f"unknown clock profile {clock!r}; known: {', '.join(CLOCKS)}")
    doc, diags = parse(source, file)
    if doc is None:
        return None, diags
    timeline, diags = resolve(doc, CLOCKS[clock] if clock is not None else None)
    if not has_errors(diags):
        diags += _check(timeline)
    return timeline, sorted(diags, key=sort_key)


def compile(source: str, file: str = "<input>", clock: str | None = None) -> tuple[Program | None, list[Diagnostic]]:
    """Parse, check and compile: the Program, or None when any diagnostic is an error (`clock` as in check)."""
    from .compiler import build_program
    from .diagnostics import has_errors

    timeline, diags = check(source, file, clock)
    if timeline is None or has_errors(diags):
        return None, diags
    return build_program(timeline), diags


def compile_file(path: str, clock: str | None = None) -> tuple[Program | None, list[Diagnostic]]:
    """compile() on a file; raises SourceError when the file cannot be read."""
    return compile(read_source(path), path, clock)


def run(program: Program, **options):
    """Play a compiled Program (on a simulator started for it, a runtime or the cloud); see runtime.run."""
    from .runtime import run as _run

    return _run(program, **options)
