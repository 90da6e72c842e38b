"""The TextMate grammar (editors/vscode/syntaxes/llv.tmLanguage.json), tokenised in Python.

No maintained TextMate engine is on PyPI, so `tokenize` below applies the grammar the way
vscode-textmate does, line by line: at each position the leftmost match among the current rule's
`end` and its patterns wins (the earlier one on a tie), `begin` pushes a rule, `end` pops it. The
grammar keeps its regexes in the subset that Oniguruma and Python's `re` read alike, and a test
checks that every regex compiles here.

The scopes are checked on hand-written fixtures, and cross-checked against the real parser on
examples/*.llv and on generated storyboards: every keyword, string, comment and time the parser
sees must carry the matching scope.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings

from longlive_dsl import parse
from longlive_dsl.syntax import ast

ROOT = Path(__file__).resolve().parents[2]
GRAMMAR = ROOT / "editors" / "vscode" / "syntaxes" / "llv.tmLanguage.json"
PACKAGE = ROOT / "editors" / "vscode" / "package.json"
EXAMPLES = sorted((ROOT / "examples").glob("*.llv"))


# ---- a small TextMate engine ---------------------------------------------------------------------


class Rule:
    def __init__(self, raw: dict, grammar: dict) -> None:
        self.raw = raw
        self.grammar = grammar
        self.name = raw.get("name")
        self.content_name = raw.get("contentName")
        self.match = re.compile(raw["match"]) if "match" in raw else None
        self.begin = re.compile(raw["begin"]) if "begin" in raw else None
        self.end = re.compile(raw["end"]) if "end" in raw else None
        self._patterns: list[Rule] | None = None

    @property
    def patterns(self) -> list[Rule]:
        if self._patterns is None:
            self._patterns = []
            for p in self.raw.get("patterns", []):
                self._patterns.extend(_resolve(p, self.grammar))
        return self._patterns


def _resolve(raw: dict, grammar: dict) -> list[Rule]:
    """A pattern, with `include`s expanded (only `#name` and `$self` occur in this grammar)."""
    if "include" in raw:
        ref = raw["include"]
        if ref == "$self":
            return _root(id(grammar), grammar).patterns
        assert ref.startswith("#"), ref
        target = grammar["repository"][ref[1:]]
        return _resolve(target, grammar)
    if "match" not in raw and "begin" not in raw:  # a bare list of patterns
        return [r for p in raw.get("patterns", []) for r in _resolve(p, grammar)]
    return [_rule(json.dumps(raw, sort_keys=True), grammar)]


_RULES: dict[str, Rule] = {}


def _rule(key: str, grammar: dict) -> Rule:
    if key not in _RULES:
        _RULES[key] = Rule(json.loads(key), grammar)
    return _RULES[key]


_ROOTS: dict[int, Rule] = {}


def _root(key: int, grammar: dict) -> Rule:
    if key not in _ROOTS:
        _ROOTS[key] = Rule({"patterns": grammar["patterns"]}, grammar)
    return _ROOTS[key]


@lru_cache(maxsize=1)
def grammar() -> dict:
    return json.loads(GRAMMAR.read_text(encoding="utf-8"))


Token = tuple[str, tuple[str, ...], int]  # text, scopes (outermost first), offset in the source


def _captured(m: re.Match, captures: dict | None, base: tuple[str, ...], offset: int) -> list[Token]:
    """Tokens for a match: captured groups get their extra scope (groups here never nest)."""
    tokens: list[Token] = []
    pos = m.start()
    for group in sorted((int(k) for k in (captures or {})), key=lambda g: (m.start(g) if m.group(g) is not None else -1)):
        if group == 0 or m.group(group) is None or m.start(group) == m.end(group):
            continue
        if m.start(group) > pos:
            tokens.append((m.string[pos : m.start(group)], base, offset + pos))
        tokens.append((m.group(group), base + (captures[str(group)]["name"],), offset + m.start(group)))
        pos = m.end(group)
    if m.end() > pos:
        whole = (captures or {}).get("0")
        tokens.append((m.string[pos : m.end()], base + ((whole["name"],) if whole else ()), offset + pos))
    return tokens


def tokenize(source: str) -> list[Token]:
    """Every token of `source` with its scope stack, like vscode-textmate's tokenizeLine over each line."""
    g = grammar()
    root = _root(id(g), g)
    stack: list[tuple[Rule, tuple[str, ...]]] = [(root, ("source.llv",))]
    tokens: list[Token] = []
    offset = 0
    for line in source.split("\n"):
        line += "\n"
        pos = 0
        while pos < len(line):
            rule, scopes = stack[-1]
            inner = scopes + ((rule.content_name,) if rule.content_name else ())
            best = None
            candidates: list[tuple[str, Rule | None, re.Pattern]] = []
            if rule.end is not None:
                candidates.append(("end", rule, rule.end))
            for p in rule.patterns:
                candidates.append(("match" if p.match else "begin", p, p.match or p.begin))
            for kind, r, regex in candidates:
                m = regex.search(line, pos)
                if m is not None and (best is None or m.start() < best[2].start()):
                    best = (kind, r, m)
            if best is None:
                tokens.append((line[pos:], inner, offset + pos))
                break
            kind, r, m = best
            if m.start() > pos:
                tokens.append((line[pos : m.start()], inner, offset + pos))
            if kind == "end":
                tokens += _captured(m, rule.raw.get("endCaptures") or rule.raw.get("captures"), scopes, offset)
                stack.pop()
            elif kind == "match":
                tokens += _captured(m, r.raw.get("captures"), inner + ((r.name,) if r.name else ()), offset)
            else:
                outer = inner + ((r.name,) if r.name else ())
                tokens += _captured(m, r.raw.get("beginCaptures") or r.raw.get("captures"), outer, offset)
                stack.append((r, outer))
            if m.end() == pos and kind != "begin":  # an empty match must not stall the line
                if kind == "match":
                    tokens.append((line[pos], inner, offset + pos))
                    pos += 1
                    continue
            pos = max(m.end(), pos)
        offset += len(line)
    return [t for t in tokens if t[0]]


def scope_at(tokens: list[Token], offset: int) -> tuple[str, ...]:
    for text, scopes, start in tokens:
        if start <= offset < start + len(text):
            return scopes
    raise AssertionError(f"no token at offset {offset}")


def has(scopes: tuple[str, ...], prefix: str) -> bool:
    return any(s == prefix or s.startswith(prefix + ".") for s in scopes)


def scopes_of(source: str, needle: str, nth: int = 0) -> tuple[str, ...]:
    """The scopes of the first character of the nth occurrence of `needle`."""
    at = -1
    for _ in range(nth + 1):
        at = source.index(needle, at + 1)
    return scope_at(tokenize(source), at)


# ---- the grammar file and the extension ------------------------------------------------------------


def _regexes(node):
    if isinstance(node, dict):
        for key in ("match", "begin", "end"):
            if key in node:
                yield node[key]
        for value in node.values():
            yield from _regexes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _regexes(value)


def test_every_regex_is_in_the_common_subset():
    found = list(_regexes(grammar()))
    assert len(found) >= 10
    for regex in found:
        re.compile(regex)
        # Features that Oniguruma and Python read differently, or that only one of them has.
        for construct in (r"\h", r"\G", r"\A", r"\Z", r"(?<name>", r"\p{", "(?i:", r"\K", "*+", "++", "?+"):
            assert construct not in regex, (construct, regex)


def test_the_extension_contributes_the_language_and_the_grammar():
    package = json.loads(PACKAGE.read_text(encoding="utf-8"))
    (language,) = package["contributes"]["languages"]
    assert language["id"] == "llv" and ".llv" in language["extensions"]
    (contributed,) = package["contributes"]["grammars"]
    assert contributed["scopeName"] == grammar()["scopeName"] == "source.llv"
    assert (PACKAGE.parent / contributed["path"]).resolve() == GRAMMAR.resolve()
    config = json.loads((PACKAGE.parent / language["configuration"]).read_text(encoding="utf-8"))
    assert config["comments"]["lineComment"] == "#"


# ---- scopes on fixtures ---------------------------------------------------------------------------

FIXTURE = '''# a comment with "quotes" and {braces}
title "Ratatouille # not a comment"
seed -11
clock docs
define look = "warm {{amber}} light \\"quoted\\" \\\\"
scene "Plate" at 0:12 for 29s   # trailing
  shot at 10 for 4 "The chef {look} plates it, scene shot title at 5"
  shot for 7.5s """
      Steam rises from {look} on a counter, # still the string
      a "quoted" word, {{ and }} and a {broken
  """
end at 1:05.5
'''


@pytest.mark.parametrize("needle,nth,scope", [
    ("# a comment", 0, "comment.line.number-sign"),
    ('"quotes"', 0, "comment.line.number-sign"),
    ("title", 0, "keyword.control.statement"),
    ('"Ratatouille', 0, "punctuation.definition.string.begin"),
    ("# not a comment", 0, "string.quoted.double"),
    ("seed", 0, "keyword.control.statement"),
    ("-11", 0, "constant.numeric.chunks"),
    ("clock", 0, "keyword.control.statement"),
    ("docs", 0, "support.constant.clock"),
    ("define", 0, "keyword.control.statement"),
    ("look", 0, "entity.name.variable.define"),
    ("=", 0, "keyword.operator.assignment"),
    ("{{", 0, "constant.character.escape.brace"),
    ("}}", 0, "constant.character.escape.brace"),
    ('\\"', 0, "constant.character.escape"),
    ("\\\\", 0, "constant.character.escape"),
    ("scene", 0, "keyword.control.statement"),
    ("at 0:12", 0, "keyword.other.timing"),
    ("0:12", 0, "constant.numeric.time.timecode"),
    ("for", 0, "keyword.other.timing"),
    ("29s", 0, "constant.numeric.time.seconds"),
    ("# trailing", 0, "comment.line.number-sign"),
    ("shot", 0, "keyword.control.statement"),
    ("10", 0, "constant.numeric.chunks"),
    ("{look}", 0, "punctuation.section.interpolation.begin"),
    ("look} plates", 0, "variable.other.interpolation"),
    ("scene shot title", 0, "string.quoted.double"),
    ("7.5s", 0, "constant.numeric.time.seconds"),
    ('"""', 0, "punctuation.definition.string.begin"),
    ("Steam", 0, "string.quoted.triple"),
    ("look} on", 0, "variable.other.interpolation"),
    ("# still the string", 0, "string.quoted.triple"),
    ('"quoted" word', 0, "string.quoted.triple"),
    ("{{ and", 0, "constant.character.escape.brace"),
    ("{broken", 0, "invalid.illegal.brace"),
    ('"""\nend', 0, "punctuation.definition.string.end"),
    ("end at", 0, "keyword.control.statement"),
    ("1:05.5", 0, "constant.numeric.time.timecode"),
])
def test_fixture_scopes(needle, nth, scope):
    assert parse(FIXTURE, "f.llv")[0] is not None  # the fixture is valid syntax
    found = scopes_of(FIXTURE, needle, nth)
    assert has(found, scope + ".llv") or has(found, scope), found


def test_words_inside_strings_are_not_keywords_and_hashes_are_not_comments():
    tokens = tokenize(FIXTURE)
    for text, scopes, _ in tokens:
        if has(scopes, "string"):
            assert not any(s.startswith("keyword") or s.startswith("comment") for s in scopes), (text, scopes)


def test_an_unterminated_one_line_string_stops_at_the_end_of_its_line():
    source = 'shot "no closing quote\nscene "A"\n'
    assert has(scopes_of(source, "scene"), "keyword.control.statement.llv")


# ---- cross-checked against the parser ------------------------------------------------------------


def assert_agrees_with_parser(source: str) -> None:
    """Every token the parser sees carries the scope it should."""
    doc, diags = parse(source, "x.llv")
    assert doc is not None, [d.message for d in diags]
    tokens = tokenize(source)

    def at(offset: int) -> tuple[str, ...]:
        return scope_at(tokens, offset)

    def expect(offset: int, scope: str) -> None:
        assert has(at(offset), scope), (source[offset : offset + 20], at(offset), scope)

    def strings(text: ast.Text) -> None:
        kind = "string.quoted.triple.llv" if text.triple else "string.quoted.double.llv"
        for off in (text.span.start, text.span.end - 1, (text.span.start + text.span.end) // 2):
            expect(off, kind)
        q = 3 if text.triple else 1
        raw = source[text.span.start + q : text.span.end - q]
        for m in re.finditer(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}", raw):
            base = text.span.start + q + m.start()
            if m.group(1):
                expect(base + 1, "variable.other.interpolation.llv")
            else:
                expect(base, "constant.character.escape.brace.llv")

    for st in doc.statements:
        expect(st.span.start, "keyword.control.statement.llv")
        if isinstance(st, (ast.Title,)):
            strings(st.text)
        elif isinstance(st, ast.Define):
            expect(st.name_span.start, "entity.name.variable.define.llv")
            strings(st.text)
        elif isinstance(st, (ast.Scene, ast.Shot)):
            for t in st.timings:
                expect(t.span.start, "keyword.other.timing.llv")
                expect(t.time_span.start, "constant.numeric")
            text = st.name if isinstance(st, ast.Scene) else st.prompt
            if text is not None:
                strings(text)
        elif isinstance(st, ast.Clock):
            expect(st.name_span.start, "support.constant.clock.llv")
        elif isinstance(st, (ast.Seed, ast.End)):
            span = st.value_span if isinstance(st, ast.Seed) else st.time_span
            expect(span.start, "constant.numeric")
    for c in doc.comments:
        expect(c.span.start, "comment.line.number-sign.llv")
        expect(c.span.end - 1, "comment.line.number-sign.llv")


def test_examples_exist():
    assert EXAMPLES, "examples/*.llv: nothing to tokenise"


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_agree_with_the_parser(path):
    assert_agrees_with_parser(path.read_text(encoding="utf-8"))


def test_fixture_agrees_with_the_parser():
    assert_agrees_with_parser(FIXTURE)


from .test_fmt import storyboards  # noqa: E402  (the formatter's generator: arbitrary layout and comments)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(storyboards())
def test_property_generated_storyboards_agree_with_the_parser(source):
    assume(parse(source, "x.llv")[0] is not None)
    assert_agrees_with_parser(source)
