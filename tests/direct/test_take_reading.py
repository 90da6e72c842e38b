"""Reading a take from trace records (no server): beats where they fired, resets splitting it."""

from runtime.programs import recv

from longlive_dsl import analyse
from longlive_dsl.config import apply
from longlive_dsl.direct.take import read_take, storyboard, take_paths


def chunk(n, prompt, index=None):
    return recv("chunk_complete", session_chunk=n, chunk_index=n if index is None else index, active_prompt=prompt)


OPENER = "A red fox trots across a frosted meadow at sunrise, warm light"
SHOT = "The fox stops and lifts its head towards the tree line"
CUT = "A lighthouse on a cliff at dusk, waves breaking below"


def records():
    return [
        {"kind": "run", "file": "story.llv", "mode": "simulator", "clock": "docs"},
        recv("state", seed=9, started=False),
        chunk(0, OPENER), chunk(1, OPENER), chunk(2, SHOT), chunk(3, SHOT),
        recv("scene_cut", prompt=CUT, at_session_chunk=4),
        chunk(4, CUT, 0), chunk(5, CUT, 1),
        recv("generation_reset"), recv("state", seed=0, started=False),
        chunk(0, SHOT), chunk(1, SHOT),
    ]


def test_each_beat_lands_at_the_chunk_where_it_fired():
    take = read_take(records())
    first = take.segments[0]
    assert [(b.kind, b.chunk) for b in first.beats] == [("opener", 0), ("shot", 2), ("cut", 4)]
    assert first.seed == 9 and first.chunks == 6


def test_a_reset_starts_a_new_segment():
    take = read_take(records())
    assert len(take.segments) == 2
    assert [(b.kind, b.chunk, b.prompt) for b in take.segments[1].beats] == [("opener", 0, SHOT)]


def test_a_segment_in_which_nothing_played_is_left_out():
    take = read_take(records() + [recv("generation_reset")])
    assert len(take.segments) == 2


def test_the_storyboard_compiles_to_the_same_beats_and_lints_clean():
    take = read_take(records())
    text = storyboard(take.segments[0], take.clock, "a test")
    result = analyse(text, "take.llv")
    left = apply(result.diagnostics, text, "take.llv")
    assert result.ok and not left, [d.message for d in left]
    beats = [(b.kind, b.start) for s in result.timeline.scenes for b in s.beats]
    assert beats == [("opener", 0), ("shot", 2), ("cut", 4)]
    assert "clock docs" in text and "end at 6" in text


def test_a_prompt_with_quotes_and_braces_is_written_as_it_played():
    take = read_take([chunk(0, 'a sign reading "OPEN {24h}" in neon, rain on glass')])
    text = storyboard(take.segments[0], take.clock, "a test")
    result = analyse(text, "take.llv")
    assert result.ok
    assert result.timeline.scenes[0].beats[0].prompt == 'a sign reading "OPEN {24h}" in neon, rain on glass'


def test_later_segments_go_beside_the_first():
    assert take_paths("out/take.llv")[:3] == ["out/take.llv", "out/take-2.llv", "out/take-3.llv"]
