"""The session's bookkeeping: acknowledgements, command errors mapped to .llv lines, the end of a run."""

import pytest

from longlive_dsl.runtime import Failure, RunError
from longlive_dsl.runtime.peer import Message
from longlive_dsl.runtime.session import RunOptions, Session, render_command_error
from longlive_dsl.runtime.signalling import LocalSignalling
from longlive_dsl.runtime.trace import Trace, read_trace

from .programs import DEFAULT_BEATS, make_program, write_source


class Recorder:
    def __init__(self):
        self.problems, self.progress_seen = [], []

    def status(self, status, detail):
        pass

    def info(self, text):
        pass

    def progress(self, p):
        self.progress_seen.append((p.chunks_done, p.scene_number, p.prompt))

    def problem(self, text):
        self.problems.append(text)


def make_session(program=None, trace_path=None):
    program = program or make_program()
    trace = Trace(trace_path)
    listener = Recorder()
    session = Session(program, LocalSignalling("http://unused", trace), trace, RunOptions(), listener)
    return session, listener


def sent_setup(session):
    for i, cmd in enumerate(session.program.commands[:-1]):
        session._track(i, cmd.type, cmd.data.model_dump())


def msg(type_, **data):
    return ("message", Message("application", type_, data))


def test_each_setup_command_is_acknowledged_by_its_message():
    s, _ = make_session()
    sent_setup(s)
    s._handle(*msg("state", seed=7, current_prompt=None, scheduled_shots=[], scheduled_scene_cuts=[]))
    s._handle(*msg("shot_set", prompt="a red fox in the snow"))
    s._handle(*msg("shot_scheduled", prompt="the fox leaps", at_session_chunk=3))
    s._handle(*msg("scene_cut_scheduled", prompt="a city at night", at_session_chunk=5))
    assert [x.acked for x in s.sent] == [True, True, True, True]


def test_the_state_snapshot_acknowledges_too():
    s, _ = make_session()
    sent_setup(s)
    s._handle(*msg("state", seed=7, current_prompt="a red fox in the snow", scheduled_shots=[3], scheduled_scene_cuts=[5]))
    assert all(x.acked for x in s.sent)


def test_an_ack_for_another_chunk_does_not_count():
    s, _ = make_session()
    sent_setup(s)
    s._handle(*msg("shot_scheduled", prompt="the fox leaps", at_session_chunk=4))
    assert not s.sent[2].acked


def test_a_command_error_is_pinned_on_the_pending_command_of_that_type(tmp_path):
    src = write_source(tmp_path / "story.llv")
    s, listener = make_session(make_program(file=src))
    sent_setup(s)
    s._handle(*msg("command_error", command="schedule_scene_cut", reason="past chunk"))
    assert s.sent[3].error == "past chunk"
    [text] = listener.problems
    assert "story.llv:4:1" in text and 'at 5 cut "a city at night"' in text
    with pytest.raises(RunError) as e:
        s._raise_command_errors()
    assert e.value.failure is Failure.COMMAND_ERROR


def test_the_run_ends_when_the_storyboard_end_is_reached():
    s, listener = make_session(make_program(end=2))
    s._handle(*msg("chunk_complete", chunk_index=0, session_chunk=0, active_prompt="a red fox in the snow", frames_emitted=29))
    assert s._done_reason is None
    s._handle(*msg("chunk_complete", chunk_index=1, session_chunk=1, active_prompt="a red fox in the snow", frames_emitted=58))
    assert s._done_reason and "2 chunks" in s._done_reason
    assert listener.progress_seen == [(1, 1, "a red fox in the snow"), (2, 1, "a red fox in the snow")]


def test_without_an_end_the_run_ends_at_generation_complete():
    s, _ = make_session(make_program(end=None))
    s._handle(*msg("chunk_complete", chunk_index=0, session_chunk=99, active_prompt="p", frames_emitted=29))
    assert s._done_reason is None
    s._handle(*msg("generation_complete", total_chunks=100))
    assert "completed" in s._done_reason


def test_progress_names_the_planned_scene_of_the_chunk():
    s, listener = make_session()
    s._handle(*msg("chunk_complete", chunk_index=0, session_chunk=5, active_prompt="a city at night", frames_emitted=174))
    assert listener.progress_seen[-1][1] == 2


@pytest.mark.parametrize("event,words", [("lost", "lost the connection"), ("ended", "ended the session")])
def test_losing_the_peer_or_the_session_is_a_lost_connection(event, words):
    s, _ = make_session()
    with pytest.raises(RunError) as e:
        s._handle(event, "gone")
    assert e.value.failure is Failure.CONNECTION_LOST and words in e.value.message


def test_the_source_is_read_once_for_every_command_error_of_a_run(tmp_path):
    src = write_source(tmp_path / "story.llv")
    s, listener = make_session(make_program(file=src))
    sent_setup(s)
    s._handle(*msg("command_error", command="schedule_shot", reason="past chunk"))
    src.unlink()  # a second read would find nothing to show
    s._handle(*msg("command_error", command="schedule_scene_cut", reason="past chunk"))
    assert 'at 3 shot "the fox leaps"' in listener.problems[0]
    assert 'at 5 cut "a city at night"' in listener.problems[1]


def test_a_command_error_without_a_source_file_still_renders():
    text = render_command_error(make_program(file="/nonexistent/story.llv"), 2, "schedule_shot", "past chunk")
    assert text.startswith("error[run]: the model refused `schedule_shot`: past chunk")
    assert "/nonexistent/story.llv:3:1" in text


def test_beats_fixture_matches_the_source_lines(tmp_path):
    lines = write_source(tmp_path / "s.llv").read_text().splitlines()
    assert lines[1:] == [f'at {c} {k} "{p}"' for c, k, p in DEFAULT_BEATS]


def test_a_server_flooding_the_data_channel_ends_the_run_with_a_bounded_backlog(tmp_path):
    """Messages arriving faster than the run handles them queue up to MESSAGE_BACKLOG, then the run ends."""
    from longlive_dsl.runtime.session import MESSAGE_BACKLOG

    s, _ = make_session(trace_path=tmp_path / "t.jsonl")
    flood = Message("application", "state", {"seed": 7, "current_prompt": None})
    for _ in range(MESSAGE_BACKLOG * 3):
        s._on_message(flood)
    assert s._events.qsize() == MESSAGE_BACKLOG + 1, "nothing past the backlog and its one `flood` entry"
    s._on_closed("the `data` channel closed")  # later news waits behind the flood, which ends the run first
    assert s._events.qsize() == MESSAGE_BACKLOG + 1
    s.trace.close()
    floods = [r for r in read_trace(tmp_path / "t.jsonl") if r.get("what") == "message flood"]
    assert [r["backlog"] for r in floods] == [MESSAGE_BACKLOG], "the flood is traced once"
    entries = [s._events.get_nowait() for _ in range(MESSAGE_BACKLOG + 1)]
    for kind, payload in entries[:-1]:
        s._handle(kind, payload)  # the backlog is handled as usual
    with pytest.raises(RunError) as e:
        s._handle(*entries[-1])
    assert e.value.failure is Failure.SERVER and "faster than they could be handled" in str(e.value)


def test_a_busy_but_keeping_up_server_is_not_a_flood():
    from longlive_dsl.runtime.session import MESSAGE_BACKLOG

    s, _ = make_session()
    for _ in range(3):
        for _ in range(MESSAGE_BACKLOG):
            s._on_message(Message("application", "state", {"seed": 7, "current_prompt": None}))
        while not s._events.empty():
            s._handle(*s._events.get_nowait())
    assert not s._flooded
