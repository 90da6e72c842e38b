"""`llv fmt`: print a parsed storyboard in the one canonical layout, comments kept.

The layout, in full:

- one statement per line; `title`, `seed`, `clock`, `define`, `scene` and `end` at column 0, every `shot`
  indented two spaces; tokens separated by one space;
- timings in a fixed order: every `at` before every `for` (each kept as written, `at 0:12`
  stays `at 0:12`);
- exactly one blank line before each `scene` and before `end` (above their own-line comments);
  elsewhere a run of blank lines becomes one, and none start or end the file;
- one-line strings are kept exactly as written; a triple-quoted string is written as a block: the
  opening quotes end the statement's line, each non-blank line of the text follows, stripped and
  indented four spaces past the statement, and the closing quotes stand on their own line at the
  statement's indentation (a prompt's whitespace is folded when compiled, so this changes
  nothing it means);
- a comment on the line where a statement ends stays at the end of that line, after two spaces;
  an own-line comment stays above the statement that followed it, at that statement's indentation;
  a comment written *inside* a statement that spans several lines moves above that statement.

The order of statements is never changed: the order of `define`s and of headers versus scenes
means something (`llv lint` reports headers after a scene), so the formatter leaves it to the user.

The file is written as UTF-8 without a byte-order mark, every line ending in `\n`; `llv fmt --check`
compares the bytes on disk, so it fails exactly when `llv fmt` would rewrite the file. Through a
symbolic link the target is rewritten and the link kept. Like black, the formatter checks its own
output before it is used: it must parse, mean the same (same statements, folded prompts and
timings; same wire commands), keep every comment, and format to itself; otherwise `UnsafeFormat`
is raised and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..diagnostics import Diagnostic
from ..source import normalise_text
from ..syntax import ast

INDENT = "  "
BLOCK_INDENT = "    "
TRAILING_GAP = "  "

_TOP_LEVEL_BLANK = (ast.Scene, ast.End, ast.Variant)


class FormatError(Exception):
    """The text does not parse; `diagnostics` says why (the formatter never guesses)."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__(f"{len(diagnostics)} syntax error(s)")
        self.diagnostics = diagnostics


@dataclass(slots=True)
class _Item:
    """One statement with the comments that belong to it."""

    statement: ast.Statement
    leading: list[tuple[ast.Comment, bool]] = field(default_factory=list)  # (comment, blank line before)
    interior: list[ast.Comment] = field(default_factory=list)
    trailing: ast.Comment | None = None
    blank_before: bool = False


def format_source(source: str, file: str = "<input>", verify: bool = True) -> str:
    """The canonical text of `source`; FormatError on syntax errors, UnsafeFormat if the result fails its self-check."""
    from ..syntax import parse

    source = normalise_text(source)
    doc, diagnostics = parse(source, file)
    if doc is None:
        raise FormatError(diagnostics)
    formatted = format_document(doc)
    if verify and formatted != source:
        verify_format(doc, formatted)
    return formatted


class UnsafeFormat(Exception):
    """The formatter's output would change what the storyboard means, or is not stable: it is not used."""


def verify_format(original: ast.Document, formatted: str) -> None:
    """Check, as black does, that `formatted` means what `original` meant and formats to itself; UnsafeFormat if not."""
    from ..syntax import parse

    doc, diagnostics = parse(formatted, original.file)
    if doc is None:
        first = diagnostics[0] if diagnostics else None
        where = f" (line {first.span.line}: {first.message})" if first is not None else ""
        raise UnsafeFormat(f"the formatted text does not parse{where}")
    if meaning(doc) != meaning(original):
        raise UnsafeFormat("the formatted text would mean something else than the original")
    if [_comment_text(c) for c in doc.comments] != [_comment_text(c) for c in original.comments]:
        raise UnsafeFormat("the formatted text would lose or change a comment")
    if format_document(doc) != formatted:
        raise UnsafeFormat("formatting the formatted text changes it again (the layout is not stable)")
    read = _reading_once()
    before, after = _wire(original, read), _wire(doc, read)
    if before != after:
        raise UnsafeFormat("the formatted text compiles to different wire commands")


def meaning(doc: ast.Document) -> list[tuple[object, ...]]:
    """What a Document says, without where it says it: statements in order, prompts whitespace-folded."""

    def text(t: ast.Text | None) -> str | None:
        return None if t is None else " ".join(t.value.split())

    def timings(ts: list[ast.Timing]) -> list[tuple[str, str]]:
        return sorted(((t.kind, t.time) for t in ts), key=lambda t: t[0])  # the formatter puts `at` first

    out: list[tuple[object, ...]] = []
    for st in doc.statements:
        if isinstance(st, ast.Title):
            out.append(("title", text(st.text)))
        elif isinstance(st, ast.Seed):
            out.append(("seed", st.value))
        elif isinstance(st, ast.Define):
            out.append(("define", st.name, text(st.text)))
        elif isinstance(st, ast.Scene):
            out.append(("scene", text(st.name), timings(st.timings)))
        elif isinstance(st, ast.Shot):
            out.append(("shot", timings(st.timings), text(st.prompt)))
        elif isinstance(st, ast.End):
            out.append(("end", st.time))
        elif isinstance(st, ast.Clock):
            out.append(("clock", st.name))
        elif isinstance(st, ast.Variant):
            out.append(("variant", text(st.name)))
        elif isinstance(st, ast.Include):
            out.append(("include", st.path.value))
        else:
            out.append((type(st).__name__, repr(st)))
    return out


def _reading_once() -> Callable[[str], str]:
    """`read_library` remembering what it read: both sides of the self-check see the same included files."""
    from ..source import read_library

    texts: dict[str, str] = {}

    def read(path: str) -> str:
        if path not in texts:
            texts[path] = read_library(path)
        return texts[path]

    return read


def _wire(doc: ast.Document, read: Callable[[str], str]) -> list[str] | None:
    """The wire commands a Document resolves to, its includes read with `read` (None when it does not
    resolve; the checks never change them)."""
    from ..analysis import resolve_document
    from ..compiler import build_program

    resolution = resolve_document(doc, read=read)
    if not resolution.ok:
        return None
    return [line for tl in resolution.timelines for line in [f"variant {tl.variant}", *build_program(tl).wire_lines()]]


def format_document(doc: ast.Document) -> str:
    """The canonical text of a parsed Document (its `source` must be what it was parsed from)."""
    items, tail = _attach_comments(doc)
    lines: list[str] = []
    previous: ast.Statement | None = None
    for item in items:
        st = item.statement
        indent = INDENT if isinstance(st, ast.Shot) else ""
        group_blank = isinstance(st, _TOP_LEVEL_BLANK) and not isinstance(previous, ast.Variant)
        previous = st
        first = True
        for comment, blank in item.leading:
            _blank_line(lines, blank or (first and group_blank))
            lines.append(indent + _comment_text(comment))
            first = False
        for comment in item.interior:
            _blank_line(lines, first and group_blank)
            lines.append(indent + _comment_text(comment))
            first = False
        _blank_line(lines, item.blank_before or (first and group_blank))
        text = _statement(doc.source, st, indent)
        if item.trailing is not None:
            text += TRAILING_GAP + _comment_text(item.trailing)
        lines.extend(text.split("\n"))
    for comment, blank in tail:
        _blank_line(lines, blank)
        lines.append(_comment_text(comment))
    return "\n".join(lines) + "\n" if lines else ""


def _blank_line(lines: list[str], wanted: bool) -> None:
    if wanted and lines and lines[-1] != "":
        lines.append("")


def _comment_text(comment: ast.Comment) -> str:
    return comment.text.rstrip()


def _has_blank_line(source: str, start: int, end: int) -> bool:
    """True when the text between two offsets (whitespace only) holds an empty line."""
    return source.count("\n", start, end) >= 2


def _attach_comments(doc: ast.Document) -> tuple[list[_Item], list[tuple[ast.Comment, bool]]]:
    """Give every comment to a statement: trailing, leading (own line) or interior; the rest is the tail."""
    source = doc.source
    items = [_Item(st) for st in doc.statements]
    comments = sorted(doc.comments, key=lambda c: c.span.start)
    tail: list[tuple[ast.Comment, bool]] = []
    i = 0  # the next statement that starts after the comment
    prev_end = 0  # where the previous piece of text (statement or comment) ended; 0 = the start of the file
    seen_text = False
    for comment in comments:
        while i < len(items) and items[i].statement.span.start < comment.span.start:
            item = items[i]
            item.blank_before = seen_text and _has_blank_line(source, prev_end, item.statement.span.start)
            prev_end, seen_text = item.statement.span.end, True
            i += 1
        owner = items[i - 1] if i else None
        if owner is not None and owner.statement.span.end > comment.span.start:
            owner.interior.append(comment)  # inside a statement written over several lines
            continue
        if (owner is not None and owner.trailing is None
                and source.count("\n", owner.statement.span.end, comment.span.start) == 0):
            owner.trailing = comment
            prev_end = comment.span.end
            continue
        blank = seen_text and _has_blank_line(source, prev_end, comment.span.start)
        if i < len(items):
            items[i].leading.append((comment, blank))
        else:
            tail.append((comment, blank))
        prev_end, seen_text = comment.span.end, True
    for item in items[i:]:
        item.blank_before = seen_text and _has_blank_line(source, prev_end, item.statement.span.start)
        prev_end, seen_text = item.statement.span.end, True
    return items, tail


def _statement(source: str, st: ast.Statement, indent: str) -> str:
    def string(text: ast.Text) -> str:
        return _string(source, text, indent)

    if isinstance(st, ast.Title):
        words = ["title", string(st.text)]
    elif isinstance(st, ast.Seed):
        words = ["seed", st.value]
    elif isinstance(st, ast.Clock):
        words = ["clock", st.name]
    elif isinstance(st, ast.Define):
        words = ["define", st.name, "=", string(st.text)]
    elif isinstance(st, ast.Scene):
        words = ["scene"] + ([string(st.name)] if st.name is not None else []) + _timings(st.timings)
    elif isinstance(st, ast.Shot):
        words = ["shot"] + _timings(st.timings) + [string(st.prompt)]
    elif isinstance(st, ast.End):
        words = ["end", "at", st.time]
    elif isinstance(st, ast.Variant):
        words = ["variant", string(st.name)]
    elif isinstance(st, ast.Include):
        words = ["include", string(st.path)]
    else:  # pragma: no cover - the AST has no other statements
        raise TypeError(f"unknown statement {type(st).__name__}")
    return indent + " ".join(words)


def _timings(timings: list[ast.Timing]) -> list[str]:
    ordered = sorted(timings, key=lambda t: 0 if t.kind == "at" else 1)  # stable: repeats keep their order
    return [f"{t.kind} {t.time}" for t in ordered]


def _string(source: str, text: ast.Text, indent: str) -> str:
    raw = source[text.span.start : text.span.end]
    if not text.triple:
        return raw
    body = raw[3:-3]
    lines: list[str] = []
    for line in body.split("\n"):
        line = line.strip()
        if line or (lines and lines[-1]):
            lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        return '""""""'
    inner = indent + BLOCK_INDENT
    content = "\n".join(inner + line if line else "" for line in lines)
    return f'"""\n{content}\n{indent}"""'
