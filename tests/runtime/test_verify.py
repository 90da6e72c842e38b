"""`llv verify`: beat by beat, did the trace show each beat on its planned chunk?"""

from longlive_dsl.runtime.verify import render, verify

from .programs import make_program, recv

OPENER, SHOT, CUT = "a red fox in the snow", "the fox leaps", "a city at night"


def chunks(prompts, cut_at=()):
    """chunk_complete records for session chunks 0.. with the given prompts; the scene clock restarts at cuts."""
    records, index = [], 0
    for n, prompt in enumerate(prompts):
        if n in cut_at:
            index = 0
            records.append(recv("scene_cut", prompt=prompt, at_session_chunk=n))
        records.append(recv("chunk_complete", chunk_index=index, session_chunk=n, active_prompt=prompt, frames_emitted=29 * (n + 1)))
        index += 1
    return records


PLAN = [OPENER] * 3 + [SHOT] * 2 + [CUT] * 3


def test_a_run_that_follows_the_plan_verifies():
    report = verify(make_program(), chunks(PLAN, cut_at={5}))
    assert report.ok and [b.fired_at for b in report.beats] == [0, 3, 5]
    assert render(report, "story.llv", "t.jsonl").endswith("OK: all 3 beats fired on their planned chunks")


def test_a_shot_one_chunk_late_fails_and_says_where_it_fired():
    late = [OPENER] * 4 + [SHOT] + [CUT] * 3
    report = verify(make_program(), chunks(late, cut_at={5}))
    assert not report.ok
    shot = report.beats[1]
    assert (shot.ok, shot.fired_at) == (False, 4) and "fired on chunk 4, planned for chunk 3" in shot.note


def test_a_cut_that_did_not_restart_the_scene_is_not_a_cut():
    report = verify(make_program(), chunks(PLAN))  # prompt changed at 5 but no scene_cut, no index reset
    assert not report.beats[2].ok


def test_a_beat_that_never_fired_is_reported():
    report = verify(make_program(), chunks([OPENER] * 8))
    assert [b.ok for b in report.beats] == [True, False, False]
    assert "never fired" in report.beats[1].note


def test_a_run_stopped_early_reports_the_beats_not_reached():
    report = verify(make_program(), chunks([OPENER] * 3 + [SHOT]))
    assert not report.ok
    assert "not reached" in report.beats[2].note
    assert report.chunks_seen == 4 and report.planned_chunks == 8


def test_a_run_shorter_than_the_end_fails_even_with_every_beat_on_plan():
    report = verify(make_program(), chunks(PLAN[:6], cut_at={5}))
    assert all(b.ok for b in report.beats) and not report.ok


def test_records_other_than_model_messages_are_ignored():
    noise = [{"kind": "http", "method": "GET"}, {"kind": "send", "frame": {}}, {"kind": "recv", "frame": {"scope": "runtime"}}]
    assert verify(make_program(), noise + chunks(PLAN, cut_at={5})).ok


def test_a_reset_ends_what_is_judged_against_the_plan():
    """After `generation_reset` the session starts over from chunk 0: those chunks are a new take
    (`llv take` writes it apart), so they neither spoil nor rescue the plan's."""
    after = [recv("generation_reset")] + chunks(["something else entirely"] * 10)
    assert verify(make_program(), chunks(PLAN, cut_at={5}) + after).ok
    short = verify(make_program(), chunks(PLAN[:4]) + after)
    assert not short.ok and short.chunks_seen == 4
