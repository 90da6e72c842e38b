"""Help texts are fixes: doing what a hint says never leads to another error, and never points at its own line."""

import re

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from longlive_dsl import check

from .helpers import P, find

HINTS = settings(max_examples=200, deadline=None)


def errors(source):
    return [(d.code, d.span.line, d.message) for d in check(source, "t.llv")[1] if d.is_error]


def chunks_in(help_text):
    """Every chunk a hint offers: `at chunk N`, or both ends of `between chunks A and B`."""
    between = re.search(r"between chunks (\d+) and (\d+)", help_text)
    if between:
        return [int(between.group(1)), int(between.group(2))]
    return [int(n) for n in re.findall(r"at chunk (\d+)", help_text)]


@st.composite
def scene_a(draw):
    """Scene "A" from chunk 0: its shot positions (the first at 0) and maybe its own `for`."""
    starts = sorted(draw(st.sets(st.integers(1, 47), max_size=5)) | {0})
    length = draw(st.one_of(st.none(), st.integers(starts[-1] + 1, 48)))
    lines = ['scene "A"' + (f" for {length}" if length else "")]
    lines += [f"  shot {f'at {s} ' if s else ''}{P}" for s in starts]
    return lines, starts


@HINTS
@given(scene_a(), st.integers(1, 200))
def test_a_misplaced_cut_is_moved_where_its_hint_says(scene, cut):
    lines, starts = scene
    source = "\n".join(lines + [f'scene "B" at {cut}', f"  shot {P}"]) + "\n"
    found = [d for d in check(source, "t.llv")[1] if d.code in ("E506", "E507")]
    assume(found)
    offered = chunks_in(found[0].help)
    if not offered:  # only a scene whose last beat never fires has no chunk to offer
        assert starts[-1] >= 47 and "move the beats" in found[0].help
    for chunk in offered:
        fixed = source.replace(f'scene "B" at {cut}', f'scene "B" at {chunk}')
        assert errors(fixed) == [], (found[0].help, chunk)


@st.composite
def overlapping_shots(draw):
    """A scene whose second shot starts inside (or before) the first one's length."""
    scene_for = draw(st.one_of(st.none(), st.integers(2, 48)))
    first_start = draw(st.integers(0, 40))
    first_for = draw(st.integers(2, 30))
    second = draw(st.integers(0, first_start + first_for - 1))
    third = draw(st.one_of(st.none(), st.integers(1, 60)))
    lines = ['scene "A"' + (f" for {scene_for}" if scene_for else ""), f"  shot for {first_start} {P}",
             f"  shot at {first_start} for {first_for} {P}", f"  shot at {second} {P}"]
    if third is not None:
        lines.append(f"  shot at {third} {P}")
    return "\n".join(lines) + "\n", first_start, first_for, second


@HINTS
@given(overlapping_shots())
def test_an_overlapping_shot_is_fixed_by_either_of_its_hints(case):
    source, first_start, first_for, second = case
    assume(first_start > 0)
    found = errors(source)
    assume([code for code, line, _ in found] == ["E507"] and found[0][1] == 4)
    help_text = find(source, "E507").help
    for chunk in chunks_in(help_text):
        assert errors(source.replace(f"shot at {second} ", f"shot at {chunk} ")) == [], help_text
    shorter = re.search(r"shorten the shot above to `for (\d+)`", help_text)
    if shorter:
        fixed = source.replace(f"shot at {first_start} for {first_for} ",
                               f"shot at {first_start} for {shorter.group(1)} ")
        assert errors(fixed) == [], help_text


@HINTS
@given(st.integers(1, 48), st.integers(0, 47), st.integers(1, 100))
def test_a_shot_running_past_its_scene_is_fixed_by_its_hint(scene_for, start, length):
    assume(start < scene_for < start + length)
    source = f'scene "A" for {scene_for}\n  shot for {max(start, 1)} {P}\n  shot at {start} for {length} {P}\n'
    assume(start > 0)
    d = find(source, "E509")
    shorter = int(re.search(r"`for (\d+)`", d.help).group(1))
    assert errors(source.replace(f"for {length} ", f"for {shorter} ")) == []


def test_the_issue_examples_of_a_shot_past_its_scene_and_the_completion_point_are_e509():
    assert "E509" in [c for c, *_ in errors(f'scene "A" for 10\n  shot for 60 {P}\n')]
    assert "E509" in [c for c, *_ in errors(f'scene "A" for 24\n  shot for 23 {P}\n  shot at 23 for 27 {P}\n')]


@HINTS
@given(st.integers(1, 5000).map(lambda n: n / 100), st.sampled_from(["at", "for"]))
def test_a_seconds_note_offers_a_chunk_count_that_is_no_error(seconds, keyword):
    text = f"{seconds:g}s"
    source = f'scene "A"\n  shot for 1 {P}\n  shot {keyword} {text} {P}\n' if keyword == "at" else \
        f'scene "A"\n  shot {keyword} {text} {P}\n'
    notes = [d for d in check(source, "t.llv")[1] if d.code == "N701"]
    assume(notes)
    chunk = re.search(r"write `(\d+)`", notes[0].help).group(1)
    fixed = source.replace(f"{keyword} {text} ", f"{keyword} {chunk} ")
    assert [c for c, *_ in errors(fixed)] == [c for c, *_ in errors(source)]
    assert "E303" not in [c for c, *_ in errors(fixed)]


def test_a_repeat_on_the_same_line_points_at_the_first_by_a_related_span_not_a_line_number():
    d = find(f'seed 1 seed 2\nscene "A"\n  shot {P}\n', "E205")
    assert "line" not in d.help
    assert [(r.span.line, r.span.column, r.message) for r in d.related] == [(1, 1, "the first seed")]


def test_a_name_defined_later_on_the_same_line_points_at_its_define():
    d = find(f'define a = "{{b}}" define b = "x"\nscene "A"\n  shot "{{a}} {P[1:]}\n', "E402")
    assert "line" not in d.help
    assert [(r.span.line, r.span.column) for r in d.related] == [(1, 25)]


def test_two_beats_on_one_line_are_told_apart_without_a_line_number():
    d = find(f'scene "A"\n  shot for 4 {P} shot at 4 {P} shot at 4 {P}\n', "E508")
    assert "line" not in (d.label or "") and "line" not in d.help
    assert len(d.related) == 1 and d.related[0].span.line == 2 and d.related[0].span.start < d.span.start


@HINTS
@given(scene_a())
def test_a_cut_on_the_edge_is_only_told_of_a_safe_chunk_that_is_free(scene):
    lines, starts = scene
    assume(not lines[0].endswith(tuple(f" for {n}" for n in range(48))))  # the scene runs to its completion
    source = "\n".join(lines + ['scene "B" at 48', f"  shot {P}"]) + "\n"
    (edge,) = [d for d in check(source, "t.llv")[1] if d.code == "W605"]
    safe = re.search(r"chunk (\d+) is safe(?:: shorten scene \"A\" to `for (\d+)`)?", edge.help)
    if starts[-1] == 47:
        assert safe is None
    else:
        fixed = source.replace('scene "B" at 48', f'scene "B" at {safe.group(1)}')
        if safe.group(2):
            fixed = fixed.replace('scene "A" for 48', f'scene "A" for {safe.group(2)}')
        assert errors(fixed) == []


def test_a_first_shot_with_its_own_at_is_fixed_by_removing_it():
    source = f'scene "A"\n  shot for 4 {P}\nscene "B"\n  shot at 7 {P}\n'
    d = find(source, "E502")
    assert d.help.startswith("remove this `at`") and "move the scene" not in d.help
    assert errors(source.replace("shot at 7 ", "shot ")) == []
