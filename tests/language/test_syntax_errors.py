"""Syntax errors in plain words: where, what was expected, never Lark's terminal names."""

import re

import pytest

from longlive_dsl import check
from longlive_dsl.diagnostics import render_text

from .helpers import P

INTERNAL_NAMES = re.compile(r"\b(STRING|NUMBER|NAME|EQUALS|__ANON\w*|\$END|_NL|SCENE|SHOT)\b")


def errors(source):
    return [d for d in check(source, "t.llv")[1] if d.is_error]


def only_error(source):
    found = errors(source)
    assert len(found) == 1, [(d.code, d.message) for d in found]
    return found[0]


def test_unclosed_string_says_so_and_points_at_the_opening_quote():
    d = only_error('scene "A"\n  shot "A fox in the snow\n')
    assert d.code == "E102" and "never closed" in d.message
    assert (d.span.line, d.span.column) == (2, 8)
    assert '"""' in d.help


def test_unclosed_triple_quoted_string_points_at_the_triple_quote():
    d = only_error('scene "A"\n  shot """A fox\n  in the snow\n')
    assert d.code == "E102" and '"""' in d.message
    assert (d.span.line, d.span.column) == (2, 8)


def test_missing_prompt_says_the_shot_has_no_prompt():
    d = only_error(f'scene "A"\n  shot for 4\nscene "B"\n  shot {P}\n')
    assert d.code == "E101" and d.message == "this shot has no prompt"
    assert (d.span.line, d.span.column) == (2, 13)
    assert d.label == "expected a quoted prompt here"


def test_missing_prompt_at_the_end_of_the_file():
    d = only_error('scene "A"\n  shot at 0')
    assert d.message == "this shot has no prompt"


def test_at_without_a_time_asks_for_a_chunk_number_or_a_time():
    d = only_error(f'scene "A" at\n  shot {P}\n')
    assert d.code == "E101" and d.message.startswith("`at` needs a time")
    assert d.label == "expected a chunk number or a time like 6s here"
    assert (d.span.line, d.span.column) == (1, 13)


def test_shot_before_any_scene_asks_for_a_scene_above():
    d = only_error(f"shot {P}\n")
    assert d.code == "E202" and "before any `scene`" in d.message
    assert "scene" in d.help


def test_misspelt_keyword_suggests_the_real_one():
    d = only_error(f'scene "A"\n  shto {P}\n')
    assert d.code == "E103" and d.message == "unknown keyword `shto`"
    assert d.help == "did you mean `shot`?"


def test_misspelt_timing_keyword_suggests_for():
    d = only_error(f'scene "A" fro 5\n  shot {P}\n')
    assert d.help == "did you mean `for`?"


def test_unquoted_prompt_asks_for_quotes():
    d = only_error('scene "A"\n  shot hello\n')
    assert d.code == "E101" and "a quoted prompt" in d.message and "quotes" in d.help


def test_several_independent_syntax_errors_are_reported_in_one_pass():
    source = f'scene "A"\n  shto {P}\n  shot for {P}\nscene "B" @ 3\n  shot {P}\n'
    found = errors(source)
    assert [(d.code, d.span.line) for d in found] == [("E103", 2), ("E101", 3), ("E104", 4)]


@pytest.mark.parametrize("source", [
    'scene "A"\n  shot "abc\n', 'scene "A"\n  shot for 4\n', 'scene "A" at\n shot "x"', 'shto "x"',
    'scene "A"\n shot hello', 'define = "x"', 'define a "x"', 'seed "x"', 'end 5', 'title', 'scene "A" for for',
    'scene "A"\n  shot "x" "y"', '"just a string"', '{', 'scene "A" at 5s5',
])
def test_messages_never_show_internal_terminal_names(source):
    for d in errors(source):
        text = render_text(d, source)
        assert not INTERNAL_NAMES.search(d.message + (d.label or "") + (d.help or "")), text


def test_rendered_error_shows_file_line_column_source_line_and_caret():
    source = f'scene "A"\n  shto {P}\n'
    text = render_text(errors(source)[0], source)
    lines = text.splitlines()
    assert lines[0] == "error[E103]: unknown keyword `shto`"
    assert lines[1].strip() == "--> t.llv:2:3"
    assert lines[3].startswith("2 |   shto")
    assert lines[4] == "  |   ^^^^ not a keyword of .llv"
    assert lines[-1].strip() == "= help: did you mean `shot`?"


def test_a_clock_without_a_profile_name_lists_the_profiles():
    d = only_error(f'clock 5\nscene "A"\n  shot {P}\n')
    assert d.message == "expected a clock profile (`measured` or `docs`), found `5`"
