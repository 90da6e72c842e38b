"""Every check of language.md §4: a case that triggers it (code, line, column) and a near miss that does not."""

from pathlib import Path

import pytest

from longlive_dsl import check

from .helpers import P, codes, find

LONG = " ".join(["word"] * 301)
BIG = 'define a = "' + "x" * 1000 + '"\ndefine b = "' + "{a}" * 8 + '"\ndefine c = "' + "{b}" * 8 + '"\n'
BOMB = BIG + 'define d = "' + "{c}" * 4 + '"\nscene "A"\n  shot "{d}"\n'  # 256,000 characters
NOT_A_BOMB = BIG + 'define d = "' + "{c}" * 3 + '"\nscene "A"\n  shot "{d}"\n'  # 192,000 characters

# code, triggering source, (line, column), near miss that must not report the code
INCLUDES = Path(__file__).parent / "includes"

CASES = [
    ("E101", 'scene "A"\n  shot for "x"\n', (2, 11), f'scene "A"\n  shot for 4 {P}\n'),
    ("E102", 'scene "A"\n  shot "abc\n', (2, 8), f'scene "A"\n  shot {P}\n'),
    ("E103", f'scene "A"\n  shto {P}\n', (2, 3), f'scene "A"\n  shot {P}\n'),
    ("E104", f'scene "A" @ 5\n  shot {P}\n', (1, 11), f'scene "A" at 0\n  shot {P}\n'),
    ("E105", "".join('shto "x"\n' for _ in range(25)), (20, 1), "".join('shto "x"\n' for _ in range(5))),
    ("E201", f'scene "A"\n  shot {P}\ndefine x = "y"\n', (3, 1), f'define x = "y"\nscene "A"\n  shot {P}\n'),
    ("E202", f"shot {P}\n", (1, 1), f'scene "A"\nshot {P}\n'),
    ("E203", f'scene "A"\nscene "B"\n  shot {P}\n', (1, 1), f'scene "A"\n  shot {P}\n'),
    ("E204", 'title "Only a title"\n', (1, 1), f'title "T"\nscene "A"\n  shot {P}\n'),
    ("E205", f'seed 1\nseed 2\nscene "A"\n  shot {P}\n', (2, 1), f'seed 1\nscene "A"\n  shot {P}\n'),
    ("E206", f'scene "A"\n  shot {P}\n  shot at 3 at 5 {P}\n', (3, 13), f'scene "A"\n  shot {P}\n  shot at 3 for 5 {P}\n'),
    ("E207", f'variant "a"\nscene "A"\n  shot {P}\n', (1, 1), f'scene "A"\n  shot {P}\nvariant "a"\n'),
    ("E208", f'scene "A"\n  shot {P}\nvariant "a"\nvariant "a"\n', (4, 9), f'scene "A"\n  shot {P}\nvariant "a"\nvariant "b"\n'),
    ("E209", f'scene "A"\n  shot {P}\nvariant "a b"\n', (3, 9), f'scene "A"\n  shot {P}\nvariant "a-b"\n'),
    ("E210", f'include "no-such-library.llv"\nscene "A"\n  shot {P}\n', (1, 9), f'scene "A"\n  shot {P}\n'),
    ("E211", f'include "t.llv"\nscene "A"\n  shot {P}\n', (1, 9), f'include "{INCLUDES}/cast.llv"\nscene "A"\n  shot {P}\n'),
    ("E212", f'include "{INCLUDES}/scene.llv"\nscene "A"\n  shot {P}\n', (2, 1), f'include "{INCLUDES}/cast.llv"\nscene "A"\n  shot {P}\n'),
    ("E301", f'scene "A"\n  shot for 2.5 {P}\n  shot {P}\n', (2, 12), f'scene "A"\n  shot for 2.5s {P}\n  shot {P}\n'),
    ("E302", f'scene "A"\n  shot {P}\n  shot at -3 {P}\n', (3, 11), f'scene "A"\n  shot for 3 {P}\n  shot at 3 {P}\n'),
    ("E303", f'scene "A"\n  shot for 0 {P}\n', (2, 8), f'scene "A"\n  shot for 1 {P}\n'),
    ("E304", f'seed 4294967296\nscene "A"\n  shot {P}\n', (1, 6), f'seed 2147483647\nscene "A"\n  shot {P}\n'),
    ("E306", f'scene "A"\n  shot {P}\nend at 99999999999\n', (3, 8), f'scene "A"\n  shot {P}\nend at 47\n'),
    ("E401", 'scene "A"\n  shot "   \t "\n', (2, 8), f'scene "A"\n  shot {P}\n'),
    ("E402", f'scene "A"\n  shot "x {{nope}} y {P[1:]}\n', (2, 11),
     f'define nope = "z"\nscene "A"\n  shot "x {{nope}} y {P[1:]}\n'),
    ("E403", f'define a = "x"\ndefine a = "y"\nscene "A"\n  shot "{{a}} {P[1:]}\n', (2, 8),
     f'define a = "x"\ndefine b = "y {{a}}"\nscene "A"\n  shot "{{b}} {P[1:]}\n'),
    ("E404", f'scene "A"\n  shot "a {{ b {P[1:]}\n', (2, 11), f'scene "A"\n  shot "a {{{{ b }}}} {P[1:]}\n'),
    ("E405", BOMB, (4, 12), NOT_A_BOMB),
    ("E501", f'scene "A" at 5\n  shot {P}\n', (1, 11), f'scene "A" at 0\n  shot {P}\n'),
    ("E502", f'scene "A"\n  shot at 3 {P}\n', (2, 8), f'scene "A"\n  shot at 0 {P}\n'),
    ("E503", f'scene "A"\n  shot {P}\n  shot {P}\n', (3, 3), f'scene "A"\n  shot for 4 {P}\n  shot {P}\n'),
    ("E504", f'scene "A" for 60\n  shot {P}\n', (1, 11), f'scene "A" for 48\n  shot {P}\n'),
    ("E505", f'scene "A"\n  shot {P}\n  shot at 48 {P}\n', (3, 8), f'scene "A"\n  shot {P}\n  shot at 47 {P}\n'),
    ("E506", f'scene "A"\n  shot {P}\nscene "B" at 49\n  shot {P}\n', (3, 11), f'scene "A"\n  shot {P}\nscene "B" at 47\n  shot {P}\n'),
    ("E507", f'scene "A"\n  shot for 6 {P}\n  shot at 4 {P}\n', (3, 8), f'scene "A"\n  shot for 6 {P}\n  shot at 6 {P}\n'),
    ("E508", f'scene "A"\n  shot for 4 {P}\n  shot at 4 {P}\n  shot at 4 {P}\n', (4, 8),
     f'scene "A"\n  shot for 4 {P}\n  shot at 4 {P}\n  shot at 5 {P}\n'),
    ("E509", f'scene "A" for 10\n  shot {P}\nscene "B" at 20\n  shot {P}\n', (3, 11),
     f'scene "A" for 10\n  shot {P}\nscene "B" at 10\n  shot {P}\n'),
    ("E510", f'scene "A"\n  shot for 4 {P}\n  shot for 4 {P}\nend at 3\n', (4, 1),
     f'scene "A"\n  shot for 4 {P}\n  shot for 4 {P}\nend at 5\n'),
    ("W601", 'scene "A"\n  shot "a cat on a mat"\n', (2, 8), f'scene "A"\n  shot {P}\n'),
    ("W602", f'scene "A"\n  shot "{LONG}"\n', (2, 8), f'scene "A"\n  shot "{" ".join(["word"] * 300)}"\n'),
    ("W603", f'define look = "x"\nscene "A"\n  shot {P}\n', (1, 8), f'define look = "x"\nscene "A"\n  shot "{{look}} {P[1:]}\n'),
    ("W604", f'scene "A"\n  shot for 4 {P}\nscene "A"\n  shot {P}\n', (3, 7), f'scene "A"\n  shot for 4 {P}\nscene "B"\n  shot {P}\n'),
    ("W605", f'scene "A"\n  shot {P}\nscene "B" at 48\n  shot {P}\n', (3, 11), f'scene "A"\n  shot {P}\nscene "B" at 47\n  shot {P}\n'),
    ("W606", f'scene "A"\n  shot {P}\nend at 60\n', (3, 1), f'scene "A"\n  shot {P}\nend at 48\n'),
    ("W607", f'scene "A" for 20\n  shot for 4 {P}\n  shot at 10 {P}\n', (3, 8), f'scene "A" for 20\n  shot for 4 {P}\n  shot at 4 {P}\n'),
    ("N701", f'scene "A"\n  shot for 6s {P}\n  shot {P}\n', (2, 12), f'scene "A"\n  shot for 7.875s {P}\n  shot {P}\n'),
    ("E305", f'clock cuckoo\nscene "A"\n  shot {P}\n', (1, 7), f'clock docs\nscene "A"\n  shot {P}\n'),
    ("E406", f'scene "A"\n  shot "{P[1:-1]} {"x" * 4000}"\n', (2, 8),
     f'scene "A"\n  shot "{P[1:-1]} {"x" * (3999 - len(P[1:-1]))}"\n'),
]


@pytest.mark.parametrize("code, source, position, near_miss", CASES, ids=[c[0] for c in CASES])
def test_check_triggers_at_its_position(code, source, position, near_miss):
    d = find(source, code)
    assert (d.span.line, d.span.column) == position
    assert d.message and d.help, "every diagnostic says what is wrong and how to fix it"


@pytest.mark.parametrize("code, source, position, near_miss", CASES, ids=[c[0] for c in CASES])
def test_near_miss_does_not_trigger(code, source, position, near_miss):
    assert code not in codes(near_miss)


def test_every_published_code_has_a_triggering_case():
    from longlive_dsl.codes import CODES

    from_comments = {"W608"}  # suppression comments are read by config.apply; test_config.py covers them
    assert {c[0] for c in CASES} | from_comments == set(CODES)


def test_an_empty_file_has_no_scene():
    assert codes("") == ["E204"]


def test_errors_stop_compilation_but_warnings_do_not():
    from longlive_dsl import compile

    assert compile(f'scene "A" for 60\n  shot {P}\n', "t.llv")[0] is None
    assert compile('scene "A"\n  shot "a cat"\n', "t.llv")[0] is not None


def test_cut_on_the_edge_compiles_with_a_warning():
    from longlive_dsl import compile

    program, diags = compile(f'scene "A"\n  shot {P}\nscene "B" at 48\n  shot {P}\n', "t.llv")
    assert program is not None and [d.code for d in diags] == ["W605"]


def test_diagnostics_are_sorted_by_position():
    _, diags = check('scene "A"\n  shot "a"\n  shot at 60 "b"\n', "t.llv")
    assert [d.span.start for d in diags] == sorted(d.span.start for d in diags)


def test_unknown_name_after_escapes_and_literal_braces_points_at_its_own_braces():
    source = f'scene "A"\n  shot "a \\"sign\\" {{{{x}}}} \\\\ {{nope}} {P[1:]}\n'
    d = find(source, "E402")
    assert source[d.span.start : d.span.end] == "{nope}"
    assert (d.span.line, d.span.column) == (2, 29)


def test_a_scene_ended_by_its_last_shots_length_is_checked_at_that_length():
    """E504 and the cut's E509 point at the `for` the scene's end comes from: its last shot's, when the scene has none."""
    too_long = find(f'scene "A"\n  shot for 30 {P}\n  shot for 30 {P}\n', "E504")
    assert (too_long.span.line, too_long.span.column) == (3, 8)
    d = find(f'scene "A"\n  shot for 4 {P}\n  shot for 6 {P}\nscene "B" at 20\n  shot {P}\n', "E509")
    assert "(the length of its last shot)" in d.message and (d.span.line, d.span.column) == (4, 11)
    assert [(r.span.line, r.span.column, r.message) for r in d.related] == [(3, 8, 'scene "A" ends at chunk 10 here')]
    own = find(f'scene "A" for 10\n  shot {P}\nscene "B" at 20\n  shot {P}\n', "E509")
    assert "(`for 10`)" in own.message and [(r.span.line, r.span.column) for r in own.related] == [(1, 11)]
