"""Every command stays bounded in time and output for any storyboard that parses, however large its numbers."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from longlive_dsl import check
from longlive_dsl.cli import EXIT_INTERNAL, main
from longlive_dsl.tools.timeline_view import LEFT, MAX_PLOT_WIDTH, RIGHT, _tick_step, render_html, render_svg

P = "A red fox trots across a frosted meadow at sunrise, a slow dolly in at 35mm with warm amber light"
HUGE = "9" * 400

STORYBOARDS = {
    "end far away": f'scene "A"\n  shot "{P}"\nend at 1000000000\n',
    "huge end": f'scene "A"\n  shot "{P}"\nend at {HUGE}\n',
    "huge scene start": f'scene "A"\n  shot for 4 "{P}"\nscene "B" at {HUGE}\n  shot "{P}"\n',
    "huge shot start": f'scene "A"\n  shot "{P}"\n  shot at {HUGE} "{P}"\n',
    "huge lengths": f'scene "A" for {HUGE}\n  shot for {HUGE} "{P}"\n',
}
MAX_OUTPUT = 1_000_000  # bytes, for inputs under 1 KB


def picture_width(svg: str) -> float:
    return float(re.search(r'<svg [^>]*width="(\d+)"', svg).group(1))


@pytest.mark.parametrize("name", STORYBOARDS)
@pytest.mark.parametrize("command", [["lint"], ["plan"], ["compile", "--json"], ["timeline"],
                                     ["export", "--to", "longlive-v1"], ["export", "--to", "longlive-v2"], ["fmt"]])
def test_commands_answer_briefly_on_huge_numbers(name, command, tmp_path, capsys):
    story = tmp_path / "story.llv"
    story.write_text(STORYBOARDS[name], encoding="utf-8")
    args = [*command, str(story)]
    if command == ["timeline"]:
        args += ["-o", str(tmp_path / "picture.svg")]
    code = main(args)
    out = capsys.readouterr()
    assert code != EXIT_INTERNAL, out.err
    written = sum(p.stat().st_size for p in tmp_path.iterdir() if p.name != "story.llv")
    assert len(out.out) + len(out.err) + written < MAX_OUTPUT


def test_an_end_far_past_the_last_scene_stops_the_picture_where_the_run_stops():
    far = STORYBOARDS["end far away"].replace("end at 1000000000", "end at 1000000")  # the largest time llv reads
    tl, diagnostics = check(far)
    svg = render_svg(tl, diagnostics)
    assert picture_width(svg) < 2000
    assert "the run stops after chunk 47: 48 chunks" in svg and "`end at 1000000`" in svg


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=10**300), st.integers(min_value=0, max_value=10**300))
def test_the_picture_is_never_wider_than_its_limit(length, start):
    source = f'scene "A" for {length}\n  shot "{P}"\nscene "B" at {start}\n  shot "{P}"\nend at {length + start}\n'
    tl, diagnostics = check(source)
    svg = render_svg(tl, diagnostics)
    assert picture_width(svg) <= LEFT + MAX_PLOT_WIDTH + RIGHT
    assert svg.count("<line") < 3 * MAX_PLOT_WIDTH // 5  # ruler ticks at least 5 pixels apart
    assert len(render_html(tl, diagnostics)) < MAX_OUTPUT


@given(st.fractions(min_value=Fraction(1, 10**30), max_value=24), st.integers(1, 200))
def test_a_tick_step_is_a_round_number_at_least_so_many_pixels_wide(scale, pixels):
    step = _tick_step(scale, pixels)
    assert step * scale >= pixels
    digits = str(step).rstrip("0")
    assert digits in ("1", "2", "5")
    smaller = step // 2 if digits != "5" else step * 2 // 5
    assert smaller == 0 or smaller * scale < pixels
