"""Bounded work for any input: findings per text are capped, interpolation across a file is bounded."""

import re

from hypothesis import given, settings

from longlive_dsl import check, compile
from longlive_dsl.timeline import MAX_EXPANSION_CHARS, MAX_PROMPT_CHARS, MAX_TEXT_ERRORS

from .helpers import P
from .storyboards import prompts_with_braces


def found(source):
    return check(source, "t.llv")[1]


def test_stray_braces_in_one_text_are_reported_up_to_the_cap_and_counted_after_it():
    diags = found('scene "A"\n  shot "' + "{ " * 8000 + '"\n')
    assert [d.code for d in diags] == ["E404"] * MAX_TEXT_ERRORS
    assert diags[-1].notes == (f"{8000 - MAX_TEXT_ERRORS:,} more like these in this text are not shown",)


def test_stray_braces_are_located_exactly_even_after_many_lines_of_the_same_text():
    source = 'scene "A"\n  shot """' + "line\n" * 500 + "a } b\n" + '"""\n'
    (d,) = found(source)
    assert (d.code, d.span.line, d.span.column) == ("E404", 502, 3)


def test_unknown_names_are_capped_per_text():
    diags = found('scene "A"\n  shot "' + " ".join(f"{{n{i}}}" for i in range(10_000)) + '"\n')
    assert [d.code for d in diags] == ["E402"] * MAX_TEXT_ERRORS


def test_every_text_reports_its_own_unknown_name():
    source = 'define look = "x"\nscene "A"\n' + "".join(f'  shot at {i} "{{lok{i}}} {P[1:]}\n' for i in range(300))
    diags = [d for d in found(source) if d.code == "E402"]
    assert len(diags) == 300
    assert "did you mean `{look}`?" in diags[0].help


def test_interpolation_across_a_file_is_bounded_with_one_error():
    big = "word " * (MAX_PROMPT_CHARS // 5 - 1)
    source = f'define big = "{big}"\nscene "A"\n' + "".join(f'  shot at {i} "{{big}}"\n' for i in range(2000))
    timeline, diags = check(source, "t.llv")
    assert [d.code for d in diags if d.is_error] == ["E405"]
    assert "across this file" in diags[0].message
    assert sum(len(b.prompt) for b in timeline.beats) <= MAX_EXPANSION_CHARS + MAX_PROMPT_CHARS


def test_a_large_file_within_the_bound_compiles():
    look = "warm amber light, 35mm lens, shallow depth of field, photoreal, " * 10
    source = f'define look = "{look}"\n' + "".join(
        f'scene "S{k}" for 10\n' + f'  shot for 1 "{{look}} {P[1:]}\n' * 10 for k in range(500))
    program, diags = compile(source, "t.llv")
    assert program is not None, [d.message for d in diags if d.is_error]
    assert len(program.scenes) == 500


@settings(max_examples=200, deadline=None)
@given(prompts_with_braces())
def test_every_brace_finding_points_at_its_brace_and_they_are_capped(case):
    literal, triple = case
    quote = '"""' if triple else '"'
    source = f'define look = "x"\nscene "A"\n  shot {quote}{literal}{quote}\n'
    diags = [d for d in found(source) if d.code in ("E402", "E404")]
    assert len(diags) <= MAX_TEXT_ERRORS
    for d in diags:
        written = source[d.span.start : d.span.end]
        if d.code == "E404":
            assert written in ("{", "}")
        else:
            assert re.fullmatch(r"\{[A-Za-z_]\w*\}", written) and written != "{look}"
        line_start = source.rfind("\n", 0, d.span.start) + 1
        assert (d.span.line, d.span.column) == (source.count("\n", 0, d.span.start) + 1, d.span.start - line_start + 1)
