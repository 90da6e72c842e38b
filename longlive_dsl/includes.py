"""`include "path.llv"`: a storyboard's shared libraries of defines, read before it is resolved.

Each included file is parsed on its own; its defines join the including file's, each keeping the
Document it came from (`ast.Define.origin`), so every diagnostic about it names that file and
points into its text. Paths are relative to the including file's folder; a file is read once
however often it is included, and a file including itself (directly or not) is refused.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from .diagnostics import ERROR, Diagnostic, Span
from .source import SourceError, read_library
from .syntax import ast

MAX_INCLUDE_DEPTH = 16
"""How deep includes may nest (a library including a library …) before llv refuses."""
MAX_INCLUDED_FILES = 256
"""How many files one storyboard may include in all."""


@dataclass(slots=True)
class Included:
    """A Document with its includes replaced by the defines they bring, and what reading them found."""

    document: ast.Document
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # each included file's name -> its text
    via: dict[str, Span] = field(default_factory=dict)  # each included file -> the top-level include that brought it


def include_path(including: str, path: str) -> str:
    """Where an include's path points: relative to the including file's folder (the working folder for stdin)."""
    if os.path.isabs(path):
        return os.path.normpath(path)
    folder = "" if including.startswith("<") or including == "-" else os.path.dirname(including)
    return os.path.normpath(os.path.join(folder, path))


def expand_includes(doc: ast.Document, read: Callable[[str], str] = read_library) -> Included:
    """The Document with every `include` replaced by the defines of the file it names (read with `read`)."""
    from .syntax import parse

    out = Included(doc)
    done: set[str] = set()

    def error(code: str, message: str, file: str, span: Span, help: str) -> None:
        out.diagnostics.append(Diagnostic(code, ERROR, message, file, span, help=help))

    def visit(current: ast.Document, chain: list[str], top: Span | None) -> list[ast.Statement]:
        statements: list[ast.Statement] = []
        scene_seen = False
        for st in current.statements:
            if isinstance(st, ast.Scene):
                scene_seen = True
            if not isinstance(st, ast.Include):
                if top is None:
                    statements.append(st)
                elif isinstance(st, ast.Define):
                    statements.append(dataclasses.replace(st, origin=current))
                else:
                    word = type(st).__name__.lower()
                    error("E212", f"a `{word}` in an included file", current.file, st.span,
                          help="an included file holds only `define`s (and `include`s); move this into the storyboard")
                continue
            if scene_seen and top is None:
                error("E201", "`include` after the first scene", current.file, st.span,
                      help="move this `include` above the first `scene` (headers come first)")
                continue
            path = include_path(current.file, st.path.value)
            key = os.path.realpath(path)
            if key in chain:
                names = " -> ".join([os.path.basename(k) for k in chain[chain.index(key):]] + [os.path.basename(key)])
                error("E211", f"`{st.path.value}` is already being included: {names}", current.file, st.path.span,
                      help="remove this include; a file cannot include itself, directly or through others")
                continue
            if key in done:
                continue  # read once, however often it is included
            if len(chain) >= MAX_INCLUDE_DEPTH or len(done) >= MAX_INCLUDED_FILES:
                error("E210", f"includes nest deeper than {MAX_INCLUDE_DEPTH} or name more than "
                      f"{MAX_INCLUDED_FILES} files", current.file, st.path.span, help="flatten the libraries")
                continue
            try:
                text = read(path)
            except SourceError as e:
                error("E210", f"cannot include `{st.path.value}`: {e}", current.file, st.path.span,
                      help="the path is relative to this file's folder")
                continue
            done.add(key)
            out.sources[path] = text
            out.via[path] = top or st.span
            included, found = parse(text, path)
            out.diagnostics += found
            if included is not None:
                statements += visit(included, chain + [key], top or st.span)
        return statements

    root = os.path.realpath(doc.file) if not doc.file.startswith("<") and doc.file != "-" else "<input>"
    out.document = dataclasses.replace(doc, statements=visit(doc, [root], None))
    return out
