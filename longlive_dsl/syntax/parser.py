"""Parse .llv text into a Document with Lark LALR, building the AST during the parse.

Syntax errors become located diagnostics in plain words (see errors.py). After an error the parser
blanks out the broken statement and parses again, so one run reports several independent errors.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedInput

from ..diagnostics import Diagnostic, Span
from . import ast
from .errors import MAX_SYNTAX_ERRORS, STATEMENT_TERMINALS, STATEMENT_WORDS, blank, too_many_errors, translate

GRAMMAR_PACKAGE = "longlive_dsl.grammar"
GRAMMAR_FILE = "llv.lark"


def span_of(tok: Token) -> Span:
    """A token's source span (tokens from the lexer always carry their positions)."""
    return Span(tok.line or 0, tok.column or 0, tok.end_line or 0, tok.end_column or 0, tok.start_pos or 0,
                tok.end_pos or 0)


_ESCAPE = re.compile(r"\\(.)", re.S)


def unescape(body: str) -> str:
    """A string literal's body with `\\"` and `\\\\` resolved (other backslashes are kept as written)."""
    if "\\" not in body:
        return body
    return _ESCAPE.sub(lambda m: m.group(1) if m.group(1) in '"\\' else m.group(0), body)


def _text(tok: Token) -> ast.Text:
    raw = str(tok)
    triple = raw.startswith('"""')
    body = raw[3:-3] if triple else raw[1:-1]
    return ast.Text(unescape(body), span_of(tok), triple)


class _Builder(Transformer[Token, Any]):
    """Lark callbacks that build AST nodes while the LALR parser reduces (no parse tree in between)."""

    def start(self, children: list[Any]) -> Any:
        return children

    def timing(self, c: list[Any]) -> Any:
        kw, num = c
        return ast.Timing(str(kw), str(num), span_of(kw).to(span_of(num)), span_of(num))

    def title(self, c: list[Any]) -> Any:
        kw, s = c
        return ast.Title(_text(s), span_of(kw).to(span_of(s)))

    def seed(self, c: list[Any]) -> Any:
        kw, num = c
        return ast.Seed(str(num), span_of(num), span_of(kw).to(span_of(num)))

    def clock(self, c: list[Any]) -> Any:
        kw, name = c
        return ast.Clock(str(name), span_of(name), span_of(kw).to(span_of(name)))

    def define(self, c: list[Any]) -> Any:
        kw, name, _eq, s = c
        return ast.Define(str(name), span_of(name), _text(s), span_of(kw).to(span_of(s)))

    def scene(self, c: list[Any]) -> Any:
        kw, name, *timings = c
        kw_span = span_of(kw)
        last = timings[-1].span if timings else (span_of(name) if name is not None else kw_span)
        return ast.Scene(_text(name) if name is not None else None, timings, kw_span.to(last), kw_span)

    def shot(self, c: list[Any]) -> Any:
        kw, *timings, s = c
        kw_span = span_of(kw)
        return ast.Shot(timings, _text(s), kw_span.to(span_of(s)), kw_span)

    def end(self, c: list[Any]) -> Any:
        kw, _at, num = c
        return ast.End(str(num), span_of(num), span_of(kw).to(span_of(num)))


class _Comments:
    """Collects comment tokens as the lexer skips them (the formatter keeps comments)."""

    def __init__(self) -> None:
        self.found: list[Token] = []

    def __call__(self, tok: Token) -> Token:
        self.found.append(tok)
        return tok


_comments = _Comments()


def grammar_text() -> str:
    """The grammar shipped inside the package (grammar/llv.lark in the source tree)."""
    return grammar_path().read_text(encoding="utf-8")


def grammar_path() -> Path:
    """Where the grammar file lives in the installed package."""
    import importlib

    return Path(str(importlib.import_module(GRAMMAR_PACKAGE).__file__)).parent / GRAMMAR_FILE


@lru_cache(maxsize=1)
def lark_parser() -> Lark:
    """The LALR parser, built once per process (and cached on disk by Lark between processes)."""
    grammar = grammar_text()
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        transformer=_Builder(),
        lexer_callbacks={"COMMENT": _comments},
        maybe_placeholders=True,
        cache=_cache_path(grammar),
    )


def _cache_path(grammar: str) -> str:
    import hashlib
    import os
    import tempfile

    import lark

    key = hashlib.sha256((grammar + lark.__version__).encode()).hexdigest()[:16]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "llv")
    try:
        os.makedirs(folder, exist_ok=True)
        return os.path.join(folder, f"parser-{key}.lark")
    except OSError:
        return os.path.join(tempfile.gettempdir(), f"llv-parser-{key}.lark")


# A statement starts with one of these words at the start of a line (after indentation); a word
# close to one of them is taken as a misspelt statement. Recovery resumes at the next such line:
# this heuristic only decides where to *resume*; the first error is always exact.
_LINE_WORD = re.compile(r"^[ \t]*([A-Za-z_]\w*)", re.M)


def _statement_starts(work: str) -> list[int]:
    import difflib

    starts = []
    for m in _LINE_WORD.finditer(work):
        word = m.group(1)
        if word in STATEMENT_WORDS or difflib.get_close_matches(word.lower(), STATEMENT_WORDS, n=1, cutoff=0.75):
            starts.append(m.start(1))
    return starts


def _recovery_region(work: str, err: UnexpectedInput) -> tuple[int, int]:
    """The part of the text to blank out so parsing can resume after this error."""
    pos = min(getattr(err, "pos_in_stream", None) or 0, len(work))
    token = getattr(err, "token", None)
    starts = _statement_starts(work)
    # The unexpected token begins a new statement: the broken one is the one before it.
    if token is not None and token.type in STATEMENT_TERMINALS and pos > 0:
        before = [s for s in starts if s < pos]
        begin = before[-1] if before else 0
        return begin, pos
    before = [s for s in starts if s <= pos]
    begin = before[-1] if before else work.rfind("\n", 0, pos) + 1
    after = [s for s in starts if s > pos]
    return begin, after[0] if after else len(work)


def parse(source: str, file: str = "<input>") -> tuple[ast.Document | None, list[Diagnostic]]:
    """Parse a whole file: the Document, or None with the syntax errors found (several if possible)."""
    parser = lark_parser()
    errors: list[Diagnostic] = []
    work = source
    while True:
        _comments.found = []
        try:
            statements = cast(list[ast.Statement], parser.parse(work))  # the transformer builds the list
        except UnexpectedInput as err:
            errors.append(translate(err, source, work, file))
            if len(errors) >= MAX_SYNTAX_ERRORS:
                errors.append(too_many_errors(errors[-1], file))
                return None, errors
            begin, stop = _recovery_region(work, err)
            blanked = work[:begin] + blank(work[begin:stop]) + work[stop:]
            if blanked == work:  # nothing left to skip: stop rather than loop
                return None, errors
            work = blanked
            continue
        if errors:
            return None, errors
        comments = [ast.Comment(str(t), span_of(t)) for t in _comments.found]
        return ast.Document(file, source, statements, comments), []
