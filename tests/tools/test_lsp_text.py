"""The language server meets text as editors hold it: BOMs, CR line ends, half-typed lines, huge numbers."""

from __future__ import annotations

import re

import pygls  # noqa: E402, F401
import pytest
from lsprotocol import types  # noqa: E402

from longlive_dsl import analyse, check  # noqa: E402
from longlive_dsl.tools.lsp import _Text, complete, hover_text  # noqa: E402

from .test_lsp import P, Session, run_session  # noqa: E402

STORY = f'define look = "warm amber light"\nscene "A" for 10\n  shot "A fox, {P}, {{look}}."\n  shot at 4 "{{nope}} {P}"\n'


def client_lines(text: str) -> list[str]:
    """The document's lines as an LSP client counts them: split at `\r\n`, `\r` and `\n` only."""
    return re.split(r"\r\n|\r|\n", text)


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def text_of(source: str) -> _Text:
    return _Text(source, utf16)


def labels(items) -> list[str]:
    return [i.label for i in items or []]


def test_a_bom_is_accepted_and_reported_as_lint_reports_it():
    bommed = "\ufeff" + STORY
    result = analyse(bommed, "story.llv")
    assert [d.code for d in result.diagnostics] == [d.code for d in check(STORY, "story.llv")[1]] == ["E402"]


def test_a_bom_shifts_only_the_first_line_by_one_client_unit():
    text = text_of("\ufeff" + STORY)
    assert text.position(1, 1) == types.Position(line=0, character=1)
    assert text.position(2, 1) == types.Position(line=1, character=0)
    assert text.offset(types.Position(line=0, character=1)) == 0
    assert text.offset(types.Position(line=0, character=8)) == STORY.index("look")


@pytest.mark.parametrize("newline", ["\r", "\r\n"])
def test_cr_and_crlf_line_ends_are_lines_as_the_client_counts_them(newline):
    raw = STORY.replace("\n", newline)
    text = text_of(raw)
    assert len(client_lines(raw)) == len(text.lines)
    (d,) = analyse(raw, "story.llv").diagnostics
    start = text.range(d.span).start
    assert start == types.Position(line=3, character=client_lines(raw)[3].index("{nope}"))
    assert text.offset(start) == STORY.index("{nope}")


def test_only_cr_lf_and_crlf_end_lines_not_other_unicode_breaks():
    assert client_lines("a\u2028b\x0cc\rd\r\ne\nf") == ["a\u2028b\x0cc", "d", "e", "f"]


def complete_at(source: str, last_good_source: str | None = None):
    text = text_of(source)
    offset = len(source)
    last_good = analyse(last_good_source).document if last_good_source else None
    return complete(analyse(source), last_good, text, offset)


def test_keywords_complete_on_a_partly_typed_line_while_the_file_does_not_parse():
    source = STORY + "sc"
    assert analyse(source).document is None
    assert labels(complete_at(source)) == ["scene"]
    assert labels(complete_at(STORY + "  sh")) == ["shot"]


def test_no_keywords_inside_an_open_triple_quoted_prompt():
    source = STORY + '  shot at 8 """A fox\n  sc'
    assert complete_at(source) is None


def test_keywords_after_a_closed_triple_quoted_prompt():
    source = STORY + '  shot at 8 """A fox\n  and a hare"""\nsc'
    assert labels(complete_at(source)) == ["scene"]


def test_a_deleted_define_is_never_offered():
    last_good = STORY
    now = STORY.replace('define look = "warm amber light"\n', "") + '  shot at 8 "{'
    assert analyse(now).document is None
    assert labels(complete_at(now, last_good)) == []


def test_defines_still_in_the_text_are_offered_while_it_does_not_parse():
    now = STORY + '  shot at 8 "{lo'
    items = complete_at(now, STORY)
    assert labels(items) == ["look"]
    assert items[0].text_edit.new_text == "look}"


def test_a_define_below_the_cursor_is_not_offered():
    source = 'scene "A"\n  shot "{'
    after = source + '"\ndefine late = "x"\n'
    text = text_of(after)
    assert labels(complete(analyse(after), None, text, len(source))) == []


@pytest.mark.parametrize("big", ["1000000000", "9" * 400])
def test_hover_on_huge_numbers_answers(big):
    source = f'scene "A" for {big}\n  shot for {big} "{P}"\nend at {big}\n'
    result = analyse(source)
    for offset in range(len(source)):
        hover_text(result, offset)  # never raises
    # Times past the largest llv reads are refused (E306), each where it is written.
    assert [d.code for d in result.diagnostics] == ["E306"] * 3


def test_a_cr_only_file_with_a_bom_over_stdio():
    raw = ("\ufeff" + STORY + "sc").replace("\n", "\r")
    seen = {}

    async def scenario(s: Session):
        seen["open"] = await s.open(raw)
        last = len(client_lines(raw)) - 1
        seen["completion"] = await s.completion(last, 2)
        seen["hover"] = await s.hover(1, 2)

    run_session(scenario)
    (d,) = seen["open"].diagnostics  # the half-typed `sc` is a syntax error on the last line
    assert d.range.start.line == len(client_lines(raw)) - 1
    assert labels(seen["completion"].items) == ["scene"]
    assert seen["hover"] is None  # the text does not parse: nothing to hover


def test_a_define_written_since_the_text_last_parsed_is_offered_by_name():
    now = 'define mood = "cold blue dusk"\n' + STORY + '  shot at 8 "{m'
    assert analyse(now).document is None
    assert labels(complete_at(now, STORY)) == ["mood", "look"]
