"""llv: the LongLive-2.0 storyboard language. parse -> resolve -> check -> compile -> run.

    >>> from longlive_dsl import analyse, check, compile
    >>> result = analyse(text, "story.llv")       # .document, .timeline, .diagnostics
    >>> timeline, diagnostics = check(text, "story.llv")
    >>> program, diagnostics = compile(text, "story.llv")
    >>> result = run(program, video="out.mp4", trace="run.jsonl")   # needs the `run` and `sim` extras
    >>> async with connect("story.llv") as session: await session.shot("...")   # direct it live
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .analysis import Analysis, Overrides, analyse
    from .diagnostics import Diagnostic
    from .program import Program
    from .syntax.ast import Document
    from .timeline import Timeline

__all__ = ["parse", "analyse", "Analysis", "check", "compile", "compile_variants", "Overrides", "compile_file", "run",
           "connect", "read_source", "SourceError"]

from .source import SourceError, read_source  # noqa: E402

_LAZY = {"Analysis", "Overrides", "analyse"}
"""Names from longlive_dsl.analysis, imported when first asked for: `import longlive_dsl` (every `llv`
command, the simulator) does not load the parser."""


def __getattr__(name: str) -> object:
    if name in _LAZY:
        from . import analysis

        return getattr(analysis, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def parse(source: str, file: str = "<input>") -> tuple[Document | None, list[Diagnostic]]:
    """Text -> AST (None with the syntax errors when it does not parse)."""
    from .syntax import parse as _parse

    return _parse(source, file)


def check(source: str, file: str = "<input>", clock: str | None = None) -> tuple[Timeline | None, list[Diagnostic]]:
    """Parse, resolve and check: the Timeline (None on syntax errors) and every diagnostic, sorted.

    `clock` ("measured" or "docs", as `--clock` gives it) overrides the storyboard's `clock` statement.
    """
    from .analysis import analyse

    result = analyse(source, file, clock)
    return result.timeline, result.diagnostics


def compile(source: str, file: str = "<input>", clock: str | None = None) -> tuple[Program | None, list[Diagnostic]]:
    """Parse, check and compile: the Program, or None when any diagnostic is an error (`clock` as in check).

    For a file with `variant` blocks this is the first variant's Program; compile_variants gives them all.
    """
    from .analysis import analyse
    from .compiler import build_program

    result = analyse(source, file, clock)
    if result.timeline is None or not result.ok:
        return None, result.diagnostics
    return build_program(result.timeline), result.diagnostics


def compile_variants(source: str, file: str = "<input>", clock: str | None = None,
                     overrides: Overrides | None = None) -> tuple[list[Program], list[Diagnostic]]:
    """Compile every variant: one Program per `variant` block (named `FILE@variant`), or the file's one
    Program when it has none; an empty list when any diagnostic is an error. `overrides`: `--seed`, `--set`."""
    from .analysis import analyse
    from .compiler import build_program

    result = analyse(source, file, clock, overrides)
    if result.timeline is None or not result.ok:
        return [], result.diagnostics
    return [build_program(tl) for tl in result.variants], result.diagnostics


def compile_file(path: str, clock: str | None = None) -> tuple[Program | None, list[Diagnostic]]:
    """compile() on a file; raises SourceError when the file cannot be read."""
    return compile(read_source(path), path, clock)


def run(
    program: Program,
    *,
    server: str | None = None,
    cloud: bool = False,
    api_key: str | None = None,
    api_url: str | None = None,
    video: str | None = None,
    trace: str | None = None,
    time_scale: float = 1.0,
    listener: object = None,
) -> object:
    """Play a compiled Program on a simulator started for it, the runtime at `server`, or the cloud (with `api_key`)."""
    from .runtime import run as run_at
    from .venue import choose_venue, venue_url

    venue = choose_venue(server=server, cloud=cloud, api_key=api_key, api_url=api_url)
    with venue_url(venue, time_scale=time_scale) as url:
        return run_at(program, url, api_key=venue.api_key, video=video, trace=trace, time_scale=time_scale,
                      listener=listener)


def connect(plan: object = None, **options: object) -> object:
    """Open a directed session (an async context manager): see longlive_dsl.direct.api.connect."""
    from .direct.api import connect as _connect

    return _connect(plan, **options)  # type: ignore[arg-type]
