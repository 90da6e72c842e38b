"""One pass over a storyboard text: parse, resolve and check, keeping every stage's result.

`check`, `compile`, `llv lint` and the language server are all built on `analyse`, so what an
editor shows is exactly what the command line reports.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

from .diagnostics import Diagnostic, Span, has_errors, sort_key
from .includes import Included
from .source import normalise_text, read_library
from .syntax import ast
from .timeline import Timeline


@dataclass(frozen=True, slots=True)
class Analysis:
    """A storyboard, analysed: its text as parsed, its Document and Timeline (None when a stage failed), every diagnostic.

    A file with `variant` blocks has one Timeline per variant in `variants`; `timeline` is the first
    of them (the opening plays the same in all of them).
    """

    source: str  # the text as parsed: no BOM, `\n` line ends
    file: str
    document: ast.Document | None
    timeline: Timeline | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    variants: list[Timeline] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # the text of every file read: this one and its includes
    included_by: dict[str, Span] = field(default_factory=dict)  # each included file -> the `include` here that reads it

    @property
    def ok(self) -> bool:
        """True when nothing is an error (the storyboard compiles)."""
        return self.timeline is not None and not has_errors(self.diagnostics)


@dataclass(frozen=True, slots=True)
class Overrides:
    """What the command line changes in a storyboard: its seed (`--seed`) and define values (`--set`)."""

    seed: int | None = None
    defines: dict[str, str] = field(default_factory=dict)


def analyse(source: str, file: str = "<input>", clock: str | None = None,
            overrides: Overrides | None = None) -> Analysis:
    """Parse, resolve and check a text once (a BOM and CRLF or CR line ends are accepted, as `llv lint` does).

    `clock` ("measured" or "docs", as `--clock` gives it) overrides the storyboard's `clock` statement;
    `overrides` its seed and defines (every variant's alike).
    """
    from .checks import check
    from .model import CLOCKS
    from .syntax import parse

    if clock is not None and clock not in CLOCKS:
        raise ValueError(f"unknown clock profile {clock!r}; known: {', '.join(CLOCKS)}")
    text = normalise_text(source)
    document, diagnostics = parse(text, file)
    if document is None:
        return Analysis(text, file, None, None, sorted(diagnostics, key=sort_key), sources={file: text})
    resolution = resolve_document(document, clock, overrides)
    for timeline, diags in zip(resolution.timelines, resolution.found, strict=True):
        if not has_errors(diags):
            diags += check(timeline)
    diagnostics = resolution.diagnostics + _per_variant(resolution.found, [tl.variant for tl in resolution.timelines])
    return Analysis(text, file, document, resolution.timelines[0], sorted(diagnostics, key=sort_key),
                    resolution.timelines, {file: text, **resolution.included.sources}, resolution.included.via)


@dataclass(slots=True)
class Resolution:
    """A Document's includes read and its variants resolved, before the checks."""

    included: Included
    timelines: list[Timeline]  # one per variant
    found: list[list[Diagnostic]]  # each timeline's resolution diagnostics
    diagnostics: list[Diagnostic]  # the includes' and the variant structure's

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics) and not any(has_errors(f) for f in self.found)


def resolve_document(document: ast.Document, clock: str | None = None, overrides: Overrides | None = None,
                     read: Callable[[str], str] = read_library) -> Resolution:
    """Read the Document's includes (with `read`) and resolve each of its variants."""
    from .includes import expand_includes
    from .model import CLOCKS
    from .timeline import resolve, split_variants

    included = expand_includes(document, read)
    parts, diagnostics = split_variants(included.document)
    diagnostics += included.diagnostics
    timelines: list[Timeline] = []
    found: list[list[Diagnostic]] = []
    for name, part in parts:
        timeline, diags = resolve(part, CLOCKS[clock] if clock is not None else None,
                                  overrides.defines if overrides is not None else None)
        timeline.variant = name
        if overrides is not None and overrides.seed is not None:
            timeline.seed = overrides.seed
        timelines.append(timeline)
        found.append(diags)
    return Resolution(included, timelines, found, diagnostics)


def _per_variant(found: list[list[Diagnostic]], names: list[str | None]) -> list[Diagnostic]:
    """Each variant's diagnostics, once: one found in every variant alike is the file's; any other says its variant."""
    if len(found) == 1:
        return found[0]

    def key(d: Diagnostic) -> tuple[object, ...]:
        return (d.code, d.span.start, d.span.end, d.message, d.label, d.help)

    everywhere = set.intersection(*({key(d) for d in diags} for diags in found))
    out: list[Diagnostic] = []
    shared: set[tuple[object, ...]] = set()
    for name, diags in zip(names, found, strict=True):
        for d in diags:
            k = key(d)
            if k in everywhere:
                if k not in shared:
                    shared.add(k)
                    out.append(d)
            else:
                out.append(dataclasses.replace(d, variant=name))
    return out
