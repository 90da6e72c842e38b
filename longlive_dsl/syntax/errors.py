"""Lark's parse errors, said in the user's words: what was expected here, never an internal terminal name."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from ..diagnostics import ERROR, Diagnostic, Edit, Fix, Span
from ..model import CLOCKS

MAX_SYNTAX_ERRORS = 20

STATEMENT_WORDS = ("title", "seed", "clock", "define", "scene", "shot", "end", "variant", "include")
STATEMENT_TERMINALS = {w.upper() for w in STATEMENT_WORDS}
_KEYWORDS = STATEMENT_WORDS + ("at", "for")

_STRING_WORDS = {
    "title": "a quoted title",
    "scene": "a quoted scene name",
    "shot": "a quoted prompt",
    "define": "a quoted text",
    "variant": "a quoted variant name",
    "include": "a quoted file path",
}
TIME_WORDS = "a chunk number or a time like 6s"


def _span(source: str, start: int, end: int) -> Span:
    return Span.of(source, start, end)


@dataclass(frozen=True, slots=True)
class Context:
    """Where the parser was when an error struck: the statement it was reading and the last token it took."""

    statement: str | None = None  # the keyword of the statement being read (`scene`, `shot`, …)
    previous: Token | None = None


def _describe_expected(expected: set[str], statement: str | None) -> str:
    words: list[str] = []
    if "STRING" in expected:
        words.append(_STRING_WORDS.get(statement or "", "a quoted string"))
    if "NUMBER" in expected:
        words.append("a whole number" if statement == "seed" else TIME_WORDS)
    for kw in ("AT", "FOR"):
        if kw in expected:
            words.append(f"`{kw.lower()}`")
    if "NAME" in expected:
        profiles = " or ".join(f"`{name}`" for name in CLOCKS)
        words.append(f"a clock profile ({profiles})" if statement == "clock" else "a name")
    if "EQUALS" in expected:
        words.append("`=`")
    if expected & (STATEMENT_TERMINALS | {"$END"}):
        words.append("a new statement (`scene`, `shot`, …)")
    if not words:
        return "something else"
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _describe_found(token: Token) -> str:
    if token.type == "$END":
        return "the end of the file"
    if token.type == "STRING":
        return "a quoted string"
    text = str(token)
    return f"`{text[:40]}{'…' if len(text) > 40 else ''}`"


def translate(err: UnexpectedInput, source: str, file: str, context: Context) -> Diagnostic:
    """One Lark error as a located, plain-words diagnostic."""
    if isinstance(err, UnexpectedCharacters):
        return _unexpected_character(err, source, file, context)
    if isinstance(err, UnexpectedToken):
        return _unexpected_token(err, source, file, context)
    pos = getattr(err, "pos_in_stream", 0) or 0
    return Diagnostic("E101", ERROR, "this does not parse", file, _span(source, pos, pos + 1))


def _unexpected_character(err: UnexpectedCharacters, source: str, file: str, context: Context) -> Diagnostic:
    pos = err.pos_in_stream or 0
    char = source[pos]
    line_end = source.find("\n", pos)
    line_end = len(source) if line_end == -1 else line_end
    if char == '"':
        if source[max(0, pos - 2) : pos] == '""' and source[max(0, pos - 3) : pos - 2] != '"':
            return Diagnostic(
                "E102", ERROR, 'this """ string is never closed', file, _span(source, pos - 2, pos + 1),
                label='opened here', help='close it with """ after the last line of the prompt',
            )
        return Diagnostic(
            "E102", ERROR, "this string is never closed", file, _span(source, pos, line_end),
            label="the string starts here and runs to the end of the line",
            help='close it with " on the same line, or use """…""" for a prompt over several lines',
        )
    statement = context.statement
    help_ = None
    if char in "{}":
        help_ = "`{name}` interpolation only works inside a quoted prompt"
    elif char == "'":
        help_ = 'strings use double quotes: "…"'
    elif statement:
        help_ = f"after `{statement}` llv expected {_describe_expected(set(err.allowed or ()), statement)}"
    shown = char if char.isprintable() else repr(char)
    return Diagnostic("E104", ERROR, f"unexpected character `{shown}`", file, _span(source, pos, pos + 1),
                      help=help_)


def _unexpected_token(err: UnexpectedToken, source: str, file: str, context: Context) -> Diagnostic:
    token = err.token
    expected = set(err.accepts or err.expected or ())
    at_end = token.type == "$END"
    prev = context.previous
    pos = ((prev.end_pos or 0) if prev is not None else 0) if at_end else (token.start_pos or 0)
    begins_statement = at_end or token.type in STATEMENT_TERMINALS
    statement = context.statement
    prev_word = str(prev) if prev is not None and prev.type in ("AT", "FOR") else ""
    prev_end = (prev.end_pos or 0) if prev is not None else pos
    wanted = _describe_expected(expected, statement)
    found = _describe_found(token)
    token_span = _span(source, pos, pos + max(1, len(str(token)))) if not at_end else _span(source, pos, pos)

    if token.type == "NAME" and (expected & (STATEMENT_TERMINALS | {"AT", "FOR", "$END"})):
        options = [k for k in _KEYWORDS if k.upper() in expected or (k in STATEMENT_WORDS and "$END" in expected)]
        close = difflib.get_close_matches(str(token).lower(), options or _KEYWORDS, n=1, cutoff=0.5)
        if close or "STRING" not in expected:
            help_ = f"did you mean `{close[0]}`?" if close else f"expected {wanted}"
            fixes = (Fix(f"write `{close[0]}`", (Edit(token_span, close[0]),)),) if close else ()
            return Diagnostic("E103", ERROR, f"unknown keyword `{token}`", file, token_span,
                              label="not a keyword of .llv", help=help_, fixes=fixes)

    missing_here = _span(source, prev_end, prev_end)
    if expected == {"NUMBER"} and prev_word in ("at", "for"):
        example = "at 12` (chunks), `at 10s` or `at 0:10" if prev_word == "at" else "for 4` (chunks) or `for 5s"
        return Diagnostic("E101", ERROR, f"`{prev_word}` needs a time, found {found}", file, missing_here,
                          label=f"expected {TIME_WORDS} here", help=f"write `{example}`")
    if expected == {"NUMBER"} and statement == "seed":
        return Diagnostic("E101", ERROR, f"`seed` needs a whole number, found {found}", file, missing_here,
                          label="expected a whole number here", help="write, for example, `seed 42`")
    if "STRING" in expected and statement == "shot" and begins_statement:
        return Diagnostic("E101", ERROR, "this shot has no prompt", file, missing_here,
                          label="expected a quoted prompt here",
                          help='every shot ends with its prompt: shot "A heron lifts off the river at dawn, …"')
    if "STRING" in expected and token.type in ("NAME", "NUMBER") and statement in _STRING_WORDS:
        return Diagnostic("E101", ERROR, f"expected {wanted}, found {found}", file, token_span,
                          help=f'put it in double quotes: "{token} …"')
    if begins_statement and statement:
        return Diagnostic("E101", ERROR, f"this `{statement}` is incomplete: expected {wanted}", file, missing_here,
                          label=f"expected {wanted} here")
    return Diagnostic("E101", ERROR, f"expected {wanted}, found {found}", file, token_span,
                      label="unexpected here")


def too_many_errors(last: Diagnostic, file: str) -> Diagnostic:
    return Diagnostic("E105", ERROR, f"too many syntax errors; stopping after {MAX_SYNTAX_ERRORS}", file,
                      last.span, help="fix the errors above and run again")


def unknown_keyword(word: str, start: int, options: list[str], source: str, file: str) -> Diagnostic:
    """A keyword run into more letters (`shots`, `atlas`): one unknown word, with the closest keyword."""
    close = difflib.get_close_matches(word.lower(), options or list(_KEYWORDS), n=1, cutoff=0.5)
    help_ = f"did you mean `{close[0]}`?" if close else f"expected {' or '.join(f'`{o}`' for o in options)}"
    return Diagnostic("E103", ERROR, f"unknown keyword `{word[:40]}`", file, _span(source, start, start + len(word)),
                      label="not a keyword of .llv", help=help_)
