"""The v0 framing: what goes out on `data`/`control`, and how model messages are read back."""

import json

import pytest

from longlive_dsl.runtime.peer import (
    WireError,
    as_int,
    encode_command,
    encode_runtime,
    encode_track_verb,
    ints_back,
    parse_message,
)


def test_a_command_is_wrapped_in_the_application_scope():
    assert json.loads(encode_command("set_shot", {"prompt": "a fox"})) == {
        "scope": "application", "data": {"type": "set_shot", "data": {"prompt": "a fox"}}}


def test_a_ping_is_a_runtime_frame_with_empty_data():
    assert json.loads(encode_runtime("ping")) == {"scope": "runtime", "data": {"type": "ping", "data": {}}}


def test_resume_track_is_a_control_notification():
    assert json.loads(encode_track_verb("resume_track", "main_video")) == {
        "type": "notification", "event": "resume_track", "data": {"name": "main_video"}}


def test_non_ascii_prompts_travel_unescaped():
    assert "café" in encode_command("set_shot", {"prompt": "café"})


def test_integral_floats_come_back_as_ints():
    frame = json.dumps({"scope": "application", "data": {"type": "chunk_complete", "data": {
        "chunk_index": 3.0, "session_chunk": 17.0, "frames_emitted": 522.0, "active_prompt": "x"}}})
    msg = parse_message(frame)
    assert msg.data == {"chunk_index": 3, "session_chunk": 17, "frames_emitted": 522, "active_prompt": "x"}
    assert all(type(msg.data[k]) is int for k in ("chunk_index", "session_chunk", "frames_emitted"))


def test_lists_of_chunks_in_state_come_back_as_ints():
    data = ints_back("state", {"scheduled_shots": [3.0, 9.0], "scheduled_scene_cuts": [], "seed": -1.0,
                               "current_prompt": None, "session_chunk": None})
    assert data["scheduled_shots"] == [3, 9] and data["seed"] == -1 and data["session_chunk"] is None


def test_a_non_integral_chunk_number_is_refused():
    frame = json.dumps({"scope": "application", "data": {"type": "chunk_complete", "data": {"session_chunk": 2.5}}})
    with pytest.raises(WireError, match="session_chunk"):
        parse_message(frame)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), True, "3", None])
def test_as_int_refuses_what_is_not_an_integer(bad):
    with pytest.raises(WireError):
        as_int(bad, "x")


def test_huge_integral_floats_are_still_integers():
    assert as_int(2.0**40, "x") == 2**40


def test_fields_of_unknown_messages_are_left_alone():
    msg = parse_message(json.dumps({"scope": "application", "data": {"type": "mystery", "data": {"n": 1.5}}}))
    assert msg.data == {"n": 1.5}


def test_runtime_frames_keep_their_scope():
    msg = parse_message(json.dumps({"scope": "runtime", "data": {"type": "sessionEnded", "data": {"reason": "bye"}}}))
    assert (msg.scope, msg.type, msg.data) == ("runtime", "sessionEnded", {"reason": "bye"})


def test_a_json_bytes_frame_is_read_like_text():
    assert parse_message(b'{"scope":"application","data":{"type":"shot_set","data":{"prompt":"p"}}}').type == "shot_set"


@pytest.mark.parametrize("frame", ["not json", "[1, 2]", '{"scope": "application"}', '{"data": {"type": 3}}',
                                   b"\x08\x01binary", '{"data": {"type": "state", "data": [1]}}'])
def test_malformed_frames_are_refused(frame):
    with pytest.raises(WireError):
        parse_message(frame)
