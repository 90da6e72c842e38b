"""Parse .llv text into a Document with Lark LALR, building the AST during the parse.

Syntax errors become located diagnostics in plain words (see errors.py). The file is parsed once:
after an error the parser drops the broken statement from its stack, skips to the next statement
keyword and carries on, so one pass reports several independent errors. Nothing is kept between
parses (each one has its own parser state), so threads may parse at the same time.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.lexer import LexerState

from ..diagnostics import Diagnostic, Span
from . import ast
from .errors import (
    MAX_SYNTAX_ERRORS,
    STATEMENT_TERMINALS,
    STATEMENT_WORDS,
    Context,
    too_many_errors,
    translate,
    unknown_keyword,
)

GRAMMAR_PACKAGE = "longlive_dsl.grammar"
GRAMMAR_FILE = "llv.lark"


def span_of(tok: Token) -> Span:
    """A token's source span (tokens from the lexer always carry their positions)."""
    return Span(tok.line or 0, tok.column or 0, tok.end_line or 0, tok.end_column or 0, tok.start_pos or 0,
                tok.end_pos or 0)


_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


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

    def variant(self, c: list[Any]) -> Any:
        kw, s = c
        return ast.Variant(_text(s), span_of(kw).to(span_of(s)), span_of(kw))

    def include(self, c: list[Any]) -> Any:
        kw, s = c
        return ast.Include(_text(s), span_of(kw).to(span_of(s)), span_of(kw))


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



# Comments are not tokens the parser sees; after a parse they are found by one scan that steps over
# strings exactly as the lexer does (the same patterns, tried in the same order).
_STRINGS_AND_COMMENTS = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|"(?:[^"\\\n]|\\.)*"|#[^\n]*', re.DOTALL)


def comments(source: str) -> list[ast.Comment]:
    """Every comment of a text, in order (a text with syntax errors too: suppressions are read from it)."""
    found = []
    line, line_start, counted = 1, 0, 0  # lines are counted once, from one comment to the next
    for m in _STRINGS_AND_COMMENTS.finditer(source):
        if not m.group(0).startswith("#"):
            continue
        start, end = m.span()
        newlines = source.count("\n", counted, start)
        if newlines:
            line += newlines
            line_start = source.rfind("\n", counted, start) + 1
        counted = start
        column = start - line_start + 1
        found.append(ast.Comment(m.group(0), Span(line, column, line, column + end - start, start, end)))
    return found


_KEYWORD_TERMINALS = STATEMENT_TERMINALS | {"AT", "FOR"}
_WORD = re.compile(r"\w+")


class _KeywordRunOn(Exception):
    """A keyword followed directly by more letters (`shots`): the lexer split one word in two."""

    def __init__(self, token: Token, word: str, options: list[str]) -> None:
        self.token, self.word, self.options = token, word, options


class _Run:
    """One parse of one text: the LALR state, the lexer position and the errors so far."""

    def __init__(self, parser: Lark, source: str, file: str) -> None:
        self.source, self.file = source, file
        interactive = parser.parse_interactive(source)
        self.state = interactive.parser_state
        self.lexer = interactive.lexer_thread
        assert interactive.lexer_thread.state is not None  # it was given the text
        self.lexer_state: LexerState = interactive.lexer_thread.state
        self.root_lexer = interactive.lexer_thread.lexer.root_lexer  # type: ignore[attr-defined]  # contextual
        self.errors: list[Diagnostic] = []
        self.statement: str | None = None  # keyword of the statement being read
        self.statement_depth = len(self.state.state_stack)  # parser stack depth where it began
        self.previous: Token | None = None

    def parse(self) -> list[ast.Statement] | None:
        pending: Token | None = None
        while True:
            try:
                if pending is not None:
                    token, pending = pending, None
                    self.feed(token)
                for token in self.lexer.lex(self.state):  # type: ignore[no-untyped-call]
                    self.feed(token)
                end = Token.new_borrow_pos("$END", "", self.previous) if self.previous else Token("$END", "", 0, 1, 1)
                statements = self.state.feed_token(end, True)
                return None if self.errors else statements
            except (UnexpectedInput, _KeywordRunOn) as err:
                if self.report(err):
                    return None
                if isinstance(err, UnexpectedToken) and err.token.type == "$END":
                    return None
                self.drop_statement()
                if isinstance(err, UnexpectedToken) and err.token.type in STATEMENT_TERMINALS:
                    pending = err.token  # the statement before it was broken; this one starts afresh
                else:
                    if isinstance(err, UnexpectedCharacters):
                        self.step_past_character()
                    pending = self.skip_to_statement()
                    if pending is None:
                        return None

    def feed(self, token: Token) -> None:
        if token.type in _KEYWORD_TERMINALS:
            start, end = token.start_pos or 0, token.end_pos or 0
            if end < len(self.source) and (self.source[end].isalpha() or self.source[end] == "_"):
                word = _WORD.match(self.source, start, start + 100)
                assert word is not None  # the keyword itself is a word
                accepted = self.state.parse_conf.states[self.state.position]
                options = [t.lower() for t in _KEYWORD_TERMINALS if t in accepted]
                raise _KeywordRunOn(token, word.group(0), sorted(options))
        self.state.feed_token(token)
        if token.type in STATEMENT_TERMINALS:
            self.statement = str(token)
            self.statement_depth = len(self.state.state_stack) - 1
        self.previous = token

    def report(self, err: UnexpectedInput | _KeywordRunOn) -> bool:
        """Record the error; True when there are too many to go on."""
        if len(self.errors) >= MAX_SYNTAX_ERRORS:
            self.errors.append(too_many_errors(self.errors[-1], self.file))
            return True
        if isinstance(err, _KeywordRunOn):
            diagnostic = unknown_keyword(err.word, err.token.start_pos or 0, err.options, self.source, self.file)
            self.step(len(err.word) - len(err.token))
        else:
            diagnostic = translate(err, self.source, self.file, Context(self.statement, self.previous))
        self.errors.append(diagnostic)
        return False

    def drop_statement(self) -> None:
        """Pop the statement being read off the parser stack: back to the last complete one."""
        depth = min(self.statement_depth, len(self.state.state_stack))
        del self.state.state_stack[depth:]
        del self.state.value_stack[depth - 1 :]
        self.statement = None

    def step(self, chars: int) -> None:
        """Move the lexer on by `chars` characters."""
        counter = self.lexer_state.line_ctr
        counter.feed(self.source[counter.char_pos : counter.char_pos + chars])

    def step_past_character(self) -> None:
        """Move the lexer past a character no token starts with; past the whole line for an unclosed `"`.

        A `"` that starts no string opens one that runs to the end of the line, so nothing on the rest
        of the line can start a statement; stepping over it at once keeps a line of `"\\"\\"…` linear.
        """
        pos = self.lexer_state.line_ctr.char_pos
        if self.source.startswith('"', pos):
            line_end = self.source.find("\n", pos)
            self.step((line_end if line_end != -1 else len(self.source)) - pos)
        else:
            self.step(1)

    def skip_to_statement(self) -> Token | None:
        """Read on, ignoring everything, to the next statement (its first token) or the end (None).

        A statement starts with a statement keyword, or with a word close to one that begins a line
        (a misspelt keyword, reported in its turn).
        """
        root = self.root_lexer
        line = self.lexer_state.line_ctr.line
        while True:
            try:
                token = root.next_token(self.lexer_state, self.state)
            except EOFError:
                return None
            except UnexpectedCharacters:
                self.step_past_character()
                continue
            if token.type in STATEMENT_TERMINALS:
                return cast(Token, token)
            if token.type == "NAME" and token.line > line and _looks_like_a_statement(str(token)):
                return cast(Token, token)
            line = token.end_line


def _looks_like_a_statement(word: str) -> bool:
    return bool(difflib.get_close_matches(word.lower(), STATEMENT_WORDS, n=1, cutoff=0.75))


def parse(source: str, file: str = "<input>") -> tuple[ast.Document | None, list[Diagnostic]]:
    """Parse a whole file: the Document, or None with the syntax errors found (several if possible)."""
    run = _Run(lark_parser(), source, file)
    statements = run.parse()
    if statements is None:
        return None, run.errors
    return ast.Document(file, source, statements, comments(source)), []
