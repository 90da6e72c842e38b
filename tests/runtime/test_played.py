"""What played, read once for `llv verify`, `llv take` and `llv report`: the model's own messages,
split at each reset, with garbled fields read as missing rather than trusted."""

from hypothesis import given
from hypothesis import strategies as st

from longlive_dsl.runtime.played import PlayedChunk, application_message, read_played

from .programs import recv


def chunk(n, prompt, index, frames):
    return recv("chunk_complete", session_chunk=n, chunk_index=index, active_prompt=prompt, frames_emitted=frames)


def test_each_chunk_keeps_its_prompt_its_index_in_the_scene_and_the_frames_so_far():
    played = read_played([recv("state", seed=5), chunk(0, "a", 0, 29), chunk(1, "a", 1, 61),
                          recv("scene_cut", prompt="b", at_session_chunk=2), chunk(2, "b", 0, 90)])
    seg = played.first
    assert seg.seed == 5 and seg.chunks_made == 3
    assert seg.chunks[2] == PlayedChunk("b", 0, 90)
    assert seg.cuts == [(2, "b")] and seg.prompts() == {0: "a", 1: "a", 2: "b"}


def test_a_reset_starts_a_new_segment_with_its_own_seed():
    played = read_played([recv("state", seed=5), chunk(0, "a", 0, 29), recv("generation_reset"),
                          recv("state", seed=6), chunk(0, "z", 0, 29), chunk(1, "z", 1, 61)])
    assert [(s.seed, s.chunks_made) for s in played.segments] == [(5, 1), (6, 2)]


def test_the_seed_is_the_one_in_force_before_the_first_chunk():
    played = read_played([recv("state", seed=5), chunk(0, "a", 0, 29), recv("state", seed=99)])
    assert played.first.seed == 5


def test_the_run_and_end_records_are_kept():
    run, end = {"kind": "run", "file": "s.llv"}, {"kind": "end", "exit_code": 0}
    played = read_played([run, chunk(0, "a", 0, 29), end])
    assert played.run is run and played.end is end


def test_garbled_fields_are_read_as_missing():
    played = read_played([
        recv("chunk_complete", session_chunk=0, chunk_index="zero", active_prompt=7, frames_emitted=True),
        recv("chunk_complete", session_chunk="1", active_prompt="x"),  # no usable chunk number: not a chunk
        recv("scene_cut", prompt=None, at_session_chunk=3),
        {"kind": "recv", "frame": {"scope": "runtime", "type": "chunk_complete", "data": {"session_chunk": 9}}},
        {"kind": "recv", "frame": "not an object"},
    ])
    assert played.first.chunks == {0: PlayedChunk(None, None, None)}
    assert played.first.cuts == [(3, None)] and played.first.prompts() == {}


def test_a_sent_message_is_read_through_its_envelope():
    sent = {"kind": "send", "frame": {"scope": "application", "data": {"type": "set_shot", "data": {"prompt": "p"}}}}
    assert application_message(sent) == ("set_shot", {"prompt": "p"})
    assert application_message({"kind": "send", "frame": {"scope": "application", "data": 3}}) == (None, {})


junk = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=12)


@given(st.lists(st.dictionaries(st.sampled_from(["kind", "frame", "t"]), junk, max_size=3) |
                st.builds(lambda t, d: recv(t, **d), st.sampled_from(["chunk_complete", "scene_cut", "state",
                                                                        "generation_reset"]),
                          st.dictionaries(st.sampled_from(["session_chunk", "chunk_index", "active_prompt",
                                                           "frames_emitted", "prompt", "at_session_chunk", "seed"]),
                                          junk, max_size=5)),
                max_size=30))
def test_any_records_at_all_read_without_error(records):
    played = read_played(records)
    assert played.segments and all(isinstance(c, int) for s in played.segments for c in s.chunks)
    assert all(p is None or isinstance(p, str) for s in played.segments for _, p in s.cuts)


def test_the_beats_are_the_opener_the_cuts_and_the_prompt_changes_in_between():
    played = read_played([chunk(0, "a", 0, 29), chunk(1, "a", 1, 61), chunk(2, "s", 2, 93),
                          recv("scene_cut", prompt="c", at_session_chunk=3), chunk(3, "c", 0, 122),
                          chunk(4, "d", 0, 151)])  # a scene clock restarted without its scene_cut: a cut too
    assert played.first.beats() == [("opener", 0, "a"), ("shot", 2, "s"), ("cut", 3, "c"), ("cut", 4, "d")]
