"""How a diagnostic reads in a terminal: escaped control characters, carets by display width, related spans."""

import re

import pytest

from longlive_dsl import check
from longlive_dsl.codes import CODES
from longlive_dsl.diagnostics import (
    ERROR,
    WARNING,
    Diagnostic,
    Related,
    Span,
    display_width,
    printable,
    render_text,
    severity_of,
)

from .helpers import P, find


def caret_line(text: str) -> str:
    return next(line for line in text.splitlines() if "^" in line)


def shown_line(text: str, number: int) -> str:
    return next(line for line in text.splitlines() if re.match(rf"^ *{number} \|", line))


def columns_of(rendered_line: str, marker: str) -> tuple[int, int]:
    """Display columns (cells) of the first run of `marker` in a caret line."""
    start = rendered_line.index(marker)
    stop = start
    while stop < len(rendered_line) and rendered_line[stop] == marker:
        stop += 1
    return start, stop


def test_an_escape_sequence_in_a_prompt_is_shown_escaped_not_sent_to_the_terminal():
    source = 'scene "A"\n  shot "a cat \x1b[2J\x1b]0;pwned\x07 sits"\n'
    d = find(source, "W601")
    text = render_text(d, source)
    assert "\x1b" not in text and "\x07" not in text
    assert "\\x1b[2J" in text and "\\x07" in text


def test_control_characters_in_messages_and_labels_are_escaped():
    source = f'scene "A\x1b[31m" for 5\n  shot {P}\nscene "A\x1b[31m"\n  shot {P}\n'
    d = find(source, "W604")
    assert "\x1b" in d.message
    text = render_text(d, source)
    assert "\x1b" not in text and "A\\x1b[31m" in text


def test_bidi_overrides_and_c1_controls_are_escaped():
    assert printable("a\u202eb\x9bc\u2066d") == "a\\u202eb\\x9bc\\u2066d"
    assert printable("tab\tstays, emoji 😀 and 日本 stay") == "tab\tstays, emoji 😀 and 日本 stay"


def test_carets_under_cjk_text_are_placed_by_display_width():
    source = 'scene "A"\n  shot "日本語の猫" at 5 "x"\n'
    span = Span.of(source, source.index("at 5"), source.index("at 5") + 4)
    d = Diagnostic("E101", ERROR, "expected a new statement", "t.llv", span)
    text = render_text(d, source)
    line = shown_line(text, 2)
    caret = caret_line(text)
    bar = line.index("|")
    start, stop = columns_of(caret, "^")
    # five CJK characters take ten cells: the caret starts under `at`, however the line is measured
    assert display_width(line[: bar + 2]) + display_width('  shot "日本語の猫" ') == start
    assert stop - start == 4


def test_carets_under_emoji_count_two_cells_and_a_family_emoji_counts_as_one_picture():
    for prompt in ("😀 a fox", "👩\u200d👩\u200d👧 a fox"):
        source = f'scene "A"\n  shot "{prompt}"\n'
        d = find(source, "W601")
        caret = caret_line(render_text(d, source))
        start, stop = columns_of(caret, "^")
        assert stop - start == display_width(f'"{prompt}"') == 2 + 2 + len(" a fox")


def test_tabs_are_expanded_and_the_caret_follows():
    source = 'scene "A"\n\tshot "a cat"\n'
    text = render_text(find(source, "W601"), source)
    assert "\t" not in text
    assert columns_of(caret_line(text), "^")[1] - columns_of(caret_line(text), "^")[0] == len('"a cat"')


def test_related_spans_are_drawn_under_their_own_lines_with_their_labels():
    source = f'define look = "warm"\ndefine look = "cold"\nscene "A"\n  shot {P}\n'
    d = find(source, "E403")
    assert [(r.span.line, r.message) for r in d.related] == [(1, "first defined here")]
    text = render_text(d, source)
    lines = text.splitlines()
    first = lines.index(shown_line(text, 1))
    assert "----" in lines[first + 1] and lines[first + 1].endswith("first defined here")
    assert "^^^^" in lines[first + 3]


def test_distant_related_lines_are_separated_by_an_ellipsis():
    source = f'scene "Long take"\n  shot {P}\n  shot at 20 {P}\n  shot at 50 {P}\n'
    text = render_text(find(source, "E505"), source)
    assert "the scene starts here" not in text  # the label names the scene
    assert 'scene "Long take" starts here, at chunk 0' in text
    assert "\n...\n" in text


RELATED_BY_CODE = {
    "E205": ('title "a"\ntitle "b"\nscene "A"\n  shot ' + P, "the first title"),
    "E206": ('scene "A"\n  shot at 3 at 5 ' + P, "first given here"),
    "E402": ('scene "A"\n  shot "{look} ' + P[1:] + '\ndefine look = "x"', "defined here, below its use"),
    "E403": ('define a = "x"\ndefine a = "y"\nscene "A"\n  shot "{a} ' + P[1:], "first defined here"),
    "E503": ('scene "A"\n  shot ' + P + '\n  shot ' + P + '\n  shot ' + P, "the shot before, with no `for`"),
    "E505": ('scene "A"\n  shot ' + P + '\n  shot at 50 ' + P, 'scene "A" starts here'),
    "E508": ('scene "A"\n  shot for 4 ' + P + '\n  shot at 4 ' + P + '\n  shot at 4 ' + P,
             "the shot above is already on this chunk"),
    "E510": ('scene "A"\n  shot for 4 ' + P + '\n  shot for 4 ' + P + '\nend at 3', "this shot never plays"),
    "W604": ('scene "A"\n  shot ' + P + '\nscene "A" at 10\n  shot ' + P, "first used here"),
}


@pytest.mark.parametrize("code", sorted(RELATED_BY_CODE))
def test_where_a_message_refers_to_another_line_it_carries_a_related_span(code):
    source, label = RELATED_BY_CODE[code]
    d = find(source, code)
    assert any(r.message.startswith(label) for r in d.related), d.related


@pytest.mark.parametrize("code", sorted(RELATED_BY_CODE))
def test_no_message_help_or_label_writes_a_line_number(code):
    source, _ = RELATED_BY_CODE[code]
    for d in check(source, "t.llv")[1]:
        for text in (d.message, d.help or "", d.label or "", *(r.message for r in d.related)):
            assert not re.search(r"\bline \d", text), (d.code, text)


def test_a_diagnostic_takes_its_severity_from_the_codes_table():
    span = Span(1, 1, 1, 2, 0, 1)
    assert Diagnostic("W601", WARNING, "terse", "t.llv", span).severity == CODES["W601"].severity
    with pytest.raises(ValueError, match="W601 is a warning in the codes table"):
        Diagnostic("W601", ERROR, "terse", "t.llv", span)


def test_every_code_has_exactly_one_severity_and_severity_of_reads_it():
    for code, entry in CODES.items():
        assert severity_of(code) == entry.severity
        assert code[0] == {"error": "E", "warning": "W", "note": "N"}[entry.severity]


def test_every_reported_diagnostic_agrees_with_the_table():
    for entry in CODES.values():
        for d in check(entry.example, "example.llv")[1]:
            assert d.severity == CODES[d.code].severity


def test_related_spans_keep_their_own_positions_when_the_primary_line_is_long():
    long_prompt = "word " * 100
    source = f'define a = "x"\ndefine a = "{long_prompt}"\nscene "A"\n  shot "{{a}} {long_prompt}"\n'
    d = find(source, "E403")
    text = render_text(d, source)
    assert all(len(line) < 400 for line in text.splitlines())
    assert isinstance(d.related[0], Related)


# ---- over any text ----------------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
PIECES = st.sampled_from(['scene "', 'shot "', '"', "\n", " at 50 ", " for 60 ", "define a = \"", "{a}", "{", "\t",
                          "\x1b[2J", "\x07", "\x9b", "\u202e", "\u2028", "日本", "😀", "👩\u200d👩\u200d👧", "e\u0301",
                          "# llv: ignore[W601]", "x" * 250, "scene", "shot", "shto"])


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), st.lists(PIECES, max_size=40).map("".join)))
def test_no_rendering_of_any_text_lets_an_unsafe_character_through(source):
    from longlive_dsl.config import apply
    from longlive_dsl.diagnostics import render_json
    from longlive_dsl.tools.formats import render_github, render_sarif

    source = source.replace("\r", "\n")  # as read_source hands it over
    diags = apply(check(source, "t.llv")[1], source, "t.llv")
    for d in diags:
        assert d.code in CODES and d.severity == CODES[d.code].severity  # one source of severities
        text = render_text(d, source)
        assert not UNSAFE.search(text), repr(text)
        assert all(len(line) < 1200 for line in text.splitlines())
    for out in (render_json(diags), render_sarif(diags, {"t.llv": source}), render_github(diags)):
        assert not UNSAFE.search(out.replace("\n", ""))


def test_llv_plan_shows_names_and_prompts_escaped_and_never_as_markup(tmp_path, capsys):
    from longlive_dsl.cli import main

    path = tmp_path / "h.llv"
    path.write_text('title "T\x1b[2J"\nscene "A\x1b[31m [bold]x"\n  shot "a \x1b]0;pwn\x07 cat"\n')
    main(["plan", str(path)])
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "A\\x1b[31m [bold]x" in out and "T\\x1b[2J" in out
