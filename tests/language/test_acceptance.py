"""The acceptance examples of language.md §5, exactly."""

import json

from longlive_dsl import check, compile

from .helpers import P, find

RATATOUILLE = '''\
title "Ratatouille service"
seed 11
define look = "warm amber light, 35mm lens, shallow depth of field, photoreal"

scene "Chop" for 5
  shot "A chef chops eggplant and peppers on a worn wooden board, {look}."
scene "Pan" for 5
  shot "Diced vegetables sizzle in a black skillet over a gas flame, {look}."
scene "Plate"
  shot for 4 "The chef spoons the stew into a white bowl, {look}."
  shot for 6 "Steam rises from the bowl on a marble counter, {look}."
end at 20
'''

RATATOUILLE_WIRE = '''\
{"type": "set_seed", "data": {"seed": 11}}
{"type": "set_shot", "data": {"prompt": "A chef chops eggplant and peppers on a worn wooden board, warm amber light, 35mm lens, shallow depth of field, photoreal."}}
{"type": "schedule_scene_cut", "data": {"prompt": "Diced vegetables sizzle in a black skillet over a gas flame, warm amber light, 35mm lens, shallow depth of field, photoreal.", "at_session_chunk": 5}}
{"type": "schedule_scene_cut", "data": {"prompt": "The chef spoons the stew into a white bowl, warm amber light, 35mm lens, shallow depth of field, photoreal.", "at_session_chunk": 10}}
{"type": "schedule_shot", "data": {"prompt": "Steam rises from the bowl on a marble counter, warm amber light, 35mm lens, shallow depth of field, photoreal.", "at_session_chunk": 14}}
{"type": "start", "data": {}}
'''


def test_three_scene_storyboard_compiles_to_the_exact_wire_commands():
    program, _ = compile(RATATOUILLE, "r.llv")
    got = [json.loads(line) for line in program.wire_lines()]
    want = [json.loads(line) for line in RATATOUILLE_WIRE.splitlines()]
    assert got == want


def test_three_scene_storyboard_carries_end_20_as_metadata():
    program, _ = compile(RATATOUILLE, "r.llv")
    assert program.end == 20
    assert program.stops_at == 20
    assert all(c.type != "end" for c in program.commands)


def test_three_scene_storyboard_lint_warns_that_prompts_are_terse():
    _, diags = check(RATATOUILLE, "r.llv")
    assert {d.code for d in diags} == {"W601"}
    assert all(d.severity == "warning" for d in diags)


def test_beat_past_the_scene_budget_never_fires_and_points_at_its_at():
    source = f'scene "Long take"\n  shot {P}\n  shot at 50 {P}\n'
    d = find(source, "E505")
    assert (d.span.line, d.span.column) == (3, 8)
    assert source[d.span.start : d.span.end] == "at 50"
    assert "chunk 0" in d.message and "chunk 48" in d.message and "never fires" in d.message
    assert "scene" in d.help and "before chunk 48" in d.help
    assert compile(source, "t.llv")[0] is None


def test_gap_before_a_cut_is_an_error_naming_both_chunks():
    source = f'scene "A"\n  shot {P}\nscene "B" at 60\n  shot {P}\n'
    d = find(source, "E506")
    assert (d.span.line, d.span.column) == (3, 11)
    assert 'scene "A"' in d.message and "48" in d.message and "60" in d.message
    assert 'scene "B" never plays' in d.message


def test_timecode_twelve_seconds_starts_at_chunk_ten_on_the_docs_clock_with_a_note():
    source = f'clock docs\nscene "W" for 10\n  shot {P}\nscene "X" at 0:12\n  shot {P}\n'
    timeline, diags = check(source, "t.llv")
    assert timeline.scenes[1].start == 10
    note = find(source, "N701")
    assert note.severity == "note" and (note.span.line, note.span.column) == (4, 14)
    assert "chunk 10" in note.message and "0:12.1" in note.message


def test_timecode_twelve_seconds_starts_at_chunk_nine_on_the_measured_clock():
    source = f'scene "W" for 9\n  shot {P}\nscene "X" at 0:12\n  shot {P}\n'
    timeline, diags = check(source, "t.llv")
    assert timeline.scenes[1].start == 9  # 29 + 8 * 32 = 285 frames, the boundary nearest 288
    assert "frame 285" in find(source, "N701").message


def test_six_seconds_lasts_five_chunks_on_the_docs_clock_with_a_note():
    source = f'clock docs\nscene "A"\n  shot for 6s {P}\n  shot {P}\n'
    timeline, _ = check(source, "t.llv")
    assert timeline.scenes[0].beats[1].start == 5
    assert "4.97" in find(source, "N701").message


def test_six_seconds_lasts_five_chunks_on_the_measured_clock_with_a_note():
    source = f'scene "A"\n  shot for 6s {P}\n  shot {P}\n'
    timeline, _ = check(source, "t.llv")
    assert timeline.scenes[0].beats[1].start == 5
    assert "4.59" in find(source, "N701").message and "157 frames" in find(source, "N701").message


def test_twenty_nine_seconds_is_exactly_twenty_four_chunks_on_the_docs_clock_without_a_note():
    source = f'clock docs\nscene "A"\n  shot for 29s {P}\n  shot {P}\n'
    timeline, diags = check(source, "t.llv")
    assert timeline.scenes[0].beats[1].start == 24
    assert diags == []


def test_forty_seconds_is_thirty_chunks_and_half_a_minute_is_chunk_23_on_the_measured_clock():
    source = f'scene "A" for 40s\n  shot {P}\n  shot at 0:30 {P}\n'
    timeline, diags = check(source, "t.llv")
    assert timeline.scenes[0].end == 30 and timeline.frames_at(30) == 957
    assert timeline.scenes[0].beats[1].start == 23
