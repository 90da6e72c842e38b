"""The chunk clock: seconds and timecodes convert to chunk boundaries on the storyboard's clock, scene by scene."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from longlive_dsl import check, compile, model

from .helpers import P, find

CLOCKS = list(model.CLOCKS.values())


# ---- the profiles ----------------------------------------------------------------------------------


def test_the_measured_clock_is_the_default_and_holds_29_then_32_frames():
    assert model.DEFAULT_CLOCK is model.MEASURED_CLOCK
    assert [model.MEASURED_CLOCK.chunk_frames(i) for i in range(3)] == [29, 32, 32]
    assert [model.DOCS_CLOCK.chunk_frames(i) for i in range(3)] == [29, 29, 29]


def test_a_cut_starts_a_new_first_sized_chunk():
    # scenes open at chunks 0 and 3: 29 + 32 + 32, then 29 + 32
    assert model.MEASURED_CLOCK.session_frames([0, 3], 5) == 29 + 32 + 32 + 29 + 32


# ---- round trips, as properties --------------------------------------------------------------------

scene_lengths = st.lists(st.integers(1, 48), min_size=1, max_size=6)


def _starts(lengths: list[int]) -> list[int]:
    starts, at = [], 0
    for n in lengths:
        starts.append(at)
        at += n
    return starts


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(CLOCKS), scene_lengths, st.data())
def test_every_chunk_boundarys_exact_time_converts_back_to_that_chunk_across_cuts(clock, lengths, data):
    starts = _starts(lengths)
    chunk = data.draw(st.integers(0, starts[-1] + lengths[-1]))
    seconds = clock.seconds(clock.session_frames(starts, chunk))
    assert clock.nearest_boundary(seconds, starts) == (chunk, True)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(CLOCKS), scene_lengths, st.data())
def test_a_time_within_half_a_frame_of_a_boundary_is_exact_and_further_is_not(clock, lengths, data):
    starts = _starts(lengths)
    chunk = data.draw(st.integers(1, starts[-1] + lengths[-1]))
    frames = clock.session_frames(starts, chunk)
    assert clock.nearest_boundary(Fraction(2 * frames + 1, 2 * model.FPS), starts) == (chunk, True)
    chunk_after, exact = clock.nearest_boundary(Fraction(frames + 2, model.FPS), starts)
    assert chunk_after == chunk and not exact


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(CLOCKS), st.integers(0, 47), st.integers(1, 48))
def test_a_length_of_n_chunks_from_any_chunk_of_a_scene_converts_back_to_n(clock, into, n):
    frames = clock.scene_frames(into + n) - clock.scene_frames(into)
    assert clock.nearest_chunks(clock.seconds(frames), first_in_scene=into == 0) == (n, True)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(CLOCKS), scene_lengths)
def test_scene_starts_written_as_timecodes_place_every_cut_on_its_chunk(clock, lengths):
    starts = _starts(lengths)
    lines = [f"clock {clock.name}"]
    for i, (start, n) in enumerate(zip(starts, lengths, strict=True)):
        at = f" at {float(clock.seconds(clock.session_frames(starts, start))):.4f}s" if i else ""
        lines += [f'scene "S{i}"{at} for {n}', f"  shot {P}"]
    timeline, diags = check("\n".join(lines) + "\n", "t.llv")
    assert [s.start for s in timeline.scenes] == starts
    assert not [d for d in diags if d.code == "N701"]


# ---- the examples the issue gives ------------------------------------------------------------------


def test_forty_seconds_is_30_chunks_957_frames_and_half_a_minute_is_chunk_23_on_the_measured_clock():
    timeline, _ = check(f'scene "A" for 40s\n  shot {P}\n  shot at 0:30 {P}\n', "t.llv")
    assert timeline.scenes[0].end == 30 and timeline.frames_at(30) == 957
    assert timeline.scenes[0].beats[1].start == 23


def test_an_absolute_time_in_a_later_scene_counts_the_earlier_scenes_chunks():
    # scene A: chunks 0-9 (29 + 9*32 = 317 frames); B opens at 10 with a 29-frame chunk.
    # 0:15 = 360 frames = 317 + 29 + 14 -> nearest boundary 11 (346) vs 12 (378): chunk 11.
    source = f'scene "A" for 10\n  shot {P}\nscene "B"\n  shot {P}\n  shot at 0:15 {P}\n'
    timeline, _ = check(source, "t.llv")
    assert timeline.scenes[1].beats[1].start == 11
    docs, _ = check("clock docs\n" + source, "t.llv")
    assert docs.scenes[1].beats[1].start == 12  # 360 / 29 = 12.4 chunks


def test_a_shot_length_after_a_scenes_first_chunk_counts_32_frame_chunks():
    timeline, diags = check(f'scene "A"\n  shot for 1 {P}\n  shot for 4s {P}\n  shot {P}\n', "t.llv")
    assert timeline.scenes[0].beats[2].start == 1 + 3  # 4 s = 96 frames = 3 chunks of 32
    assert not [d for d in diags if d.code == "N701"]


def test_the_inexact_note_names_the_chunk_and_its_time_on_the_clock():
    note = find(f'scene "A" for 30\n  shot {P}\n  shot at 0:30 {P}\n', "N701")
    assert "chunk 23" in note.message and "0:30.5" in note.message and "733" in note.message
    assert "measured clock" in note.help and "29 frames" in note.help and "32" in note.help


def test_less_than_half_a_chunk_in_seconds_is_no_length_at_all():
    d = find(f'scene "A"\n  shot for 0.4s {P}\n  shot {P}\n', "E303")
    assert "less than half a chunk" in d.message


def test_negative_seconds_are_refused():
    assert find(f'scene "A"\n  shot for -2s {P}\n', "E302")


# ---- the clock statement and the override ----------------------------------------------------------


def test_the_clock_statement_picks_the_profile():
    timeline, diags = check(f'clock docs\nscene "A" for 40s\n  shot {P}\n', "t.llv")
    assert timeline.clock is model.DOCS_CLOCK and timeline.scenes[0].end == 33


def test_the_command_line_clock_overrides_the_statement():
    timeline, _ = check(f'clock docs\nscene "A" for 40s\n  shot {P}\n', "t.llv", clock="measured")
    assert timeline.clock is model.MEASURED_CLOCK and timeline.scenes[0].end == 30


def test_an_unknown_profile_name_is_e305_with_a_suggestion():
    d = find(f'clock doc\nscene "A"\n  shot {P}\n', "E305")
    assert "doc" in d.message and "`docs`" in d.help


def test_a_clock_after_the_first_scene_is_a_late_header():
    assert find(f'scene "A"\n  shot {P}\nclock docs\n', "E201")


def test_a_second_clock_is_a_repeated_header():
    assert find(f'clock docs\nclock measured\nscene "A"\n  shot {P}\n', "E205")


def test_an_unknown_clock_given_to_check_is_a_value_error():
    with pytest.raises(ValueError, match="sundial"):
        check(f'scene "A"\n  shot {P}\n', "t.llv", clock="sundial")


def test_the_program_records_its_clock_and_the_frames_it_expects():
    program, _ = compile(f'scene "A" for 10\n  shot {P}\nscene "B" for 5\n  shot {P}\n', "t.llv")
    assert program.clock.name == "measured"
    assert (program.clock.first_chunk_frames, program.clock.later_chunk_frames) == (29, 32)
    assert program.frames == (29 + 9 * 32) + (29 + 4 * 32)
    docs, _ = compile(f'scene "A" for 10\n  shot {P}\nscene "B" for 5\n  shot {P}\n', "t.llv", clock="docs")
    assert docs.clock.name == "docs" and docs.frames == 15 * 29
