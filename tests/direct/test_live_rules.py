"""Plan-aware refusals and the web app's clamp, without a server: the same rules as the checks."""

import asyncio
import json
from types import SimpleNamespace

import pytest
from runtime.programs import make_program

from longlive_dsl import checks
from longlive_dsl.runtime.live import (
    EVENT_QUEUE_LIMIT,
    ChunkDone,
    CommandRefused,
    Declined,
    Ended,
    LiveSession,
    Note,
    parse_when,
)
from longlive_dsl.runtime.session import RunOptions, _Sent
from longlive_dsl.runtime.signalling import LocalSignalling
from longlive_dsl.runtime.trace import TRACE_RECORD, Trace


def test_a_beat_on_a_chunk_that_already_holds_one_is_refused_with_the_next_free_chunk():
    reason, fix = checks.live_beat_problem("shot", 5, [0], {5: "a planned cut", 6: "a live shot"})
    assert "chunk 5 already holds a planned cut" in reason
    assert "`@7`" in fix


def test_a_shot_past_its_scenes_completion_never_fires_and_the_fix_says_cut():
    reason, fix = checks.live_beat_problem("shot", 48, [0], {})
    assert "never fires" in reason and "completes at chunk 48" in reason
    assert "cut" in fix


def test_a_shot_after_a_pending_cut_counts_from_that_cut():
    assert checks.live_beat_problem("shot", 60, [0, 30], {}) is None


def test_a_cut_past_the_scenes_completion_is_refused_but_the_edge_itself_plays():
    assert checks.live_beat_problem("cut", 48, [0], {}) is None
    reason, fix = checks.live_beat_problem("cut", 49, [0], {})
    assert "never plays" in reason and "`@48`" in fix


def test_the_checks_and_the_live_rules_agree_on_when_a_shot_fires():
    for at in range(40, 56):
        fires = checks.shot_fires(0, at)
        assert fires == (checks.live_beat_problem("shot", at, [0], {}) is None)


@pytest.mark.parametrize("text,parsed", [("+3", ("+", 3)), ("@12", ("@", 12)), (" + 2 ", ("+", 2))])
def test_times_are_relative_with_plus_and_absolute_with_at(text, parsed):
    assert parse_when(text) == parsed


@pytest.mark.parametrize("text", ["3", "-2", "+", "@x", "+1.5"])
def test_other_times_are_refused(text):
    with pytest.raises(ValueError):
        parse_when(text)


def make_live(chunks_done: int, trace_path=None) -> LiveSession:
    trace = Trace(trace_path)
    s = LiveSession(make_program(), LocalSignalling("http://unused", trace), trace, RunOptions())
    s.progress.chunks_done = chunks_done
    return s


def playing(chunks_done: int, trace_path) -> LiveSession:
    """A session past its plan's start, open for live actions (a peer that nothing is sent to)."""
    s = make_live(chunks_done, trace_path)
    s.peer = SimpleNamespace(closed_reason=None)
    s.started = True
    s._ready.set()
    return s


def test_a_time_before_the_next_chunk_is_clamped_to_it_as_the_web_app_does():
    s = make_live(10)
    assert s._aim("@4") == (None, "@4", True)
    assert s._aim(11) == (None, None, False)


def test_a_relative_time_counts_from_the_chunk_being_made():
    s = make_live(10)
    assert s._aim("+3") == (13, "+3", False)


def test_the_planned_beats_are_the_upcoming_ones_at_first():
    s = make_live(0)
    assert [(c, k) for c, k, _, _ in s.upcoming()] == [(0, "opener"), (3, "shot"), (5, "cut")]
    assert s.scene_starts == [0, 5]


def test_a_live_action_is_a_trace_record(tmp_path):
    s = playing(10, tmp_path / "t.jsonl")
    with pytest.raises(Declined):
        asyncio.run(s.shot("p", at="@60"))
    s.trace.close()
    [record] = [json.loads(line) for line in (tmp_path / "t.jsonl").read_text().splitlines()]
    TRACE_RECORD.validate_python(record, strict=True)
    assert record["kind"] == "live" and record["action"] == "shot" and record["outcome"] == "declined"
    assert record["prompt"] == "p" and record["at"] == 60 and record["asked"] == "@60"


def test_the_session_declines_with_the_checks_rules_counting_the_scene_from_a_planned_cut(tmp_path):
    s = playing(10, tmp_path / "t.jsonl")
    with pytest.raises(Declined) as declined:
        asyncio.run(s.shot("p", at=60))  # the planned cut at 5 opened a scene that completes at 53
    assert (declined.value.reason, declined.value.fix) == checks.live_beat_problem("shot", 60, [0, 5], {})
    with pytest.raises(Declined) as declined:
        asyncio.run(s.cut("p", at=54))  # the edge of that scene is 53: a cut at 54 never plays
    assert (declined.value.reason, declined.value.fix) == checks.live_beat_problem("cut", 54, [0, 5], {})
    s.trace.close()
    assert [json.loads(line)["reason"] for line in (tmp_path / "t.jsonl").read_text().splitlines()] == [
        checks.live_beat_problem("shot", 60, [0, 5], {})[0], checks.live_beat_problem("cut", 54, [0, 5], {})[0]]


def test_a_reader_that_fell_far_behind_still_gets_the_end():
    async def main():
        s = make_live(0)
        events = s.events()
        first = asyncio.ensure_future(anext(events))
        await asyncio.sleep(0)  # subscribed, waiting for the first event
        for n in range(EVENT_QUEUE_LIMIT + 5):
            s._publish(Note(str(n)))
        s._publish(Ended(s.result))
        seen = [await first] + [e async for e in events]
        return seen

    seen = asyncio.run(asyncio.wait_for(main(), 10))
    assert len(seen) == EVENT_QUEUE_LIMIT + 1 and isinstance(seen[-1], Ended)


@pytest.mark.parametrize("waiting", [True, False])
def test_a_refused_live_command_is_published_as_live_and_a_planned_one_is_not(waiting):
    async def main():
        s = make_live(3)
        events = s.events()
        s.sent += [_Sent(0, "set_seed", {"seed": 7}),  # the plan's first command
                   _Sent(len(s.program.commands), "set_shot", {"prompt": "p"}, settled=asyncio.Future())]
        if waiting:  # refused before its acknowledgement timed out; else a late refusal, found among the sent
            s._waiting[s.sent[-1].index] = s.sent[-1]
        first = asyncio.ensure_future(anext(events))
        await asyncio.sleep(0)
        s._command_error("set_shot", "busy")
        s._command_error("set_seed", "no")
        return await first, await anext(events)

    live, planned = asyncio.run(main())
    assert live == CommandRefused("set_shot", "busy", True)
    assert planned == CommandRefused("set_seed", "no", False)


def test_reaching_the_plans_end_is_said_once_and_the_session_goes_on(tmp_path):
    s = make_live(0, tmp_path / "t.jsonl")  # make_program's plan ends at chunk 8
    heard: asyncio.Queue = asyncio.Queue()
    s._subscribers.append(heard)
    for chunk in range(12):
        s._chunk_done({"session_chunk": chunk, "chunk_index": chunk, "active_prompt": "p"})
    events = [heard.get_nowait() for _ in range(heard.qsize())]
    notes = [(i, e.text) for i, e in enumerate(events) if isinstance(e, Note)]
    assert [text for _, text in notes] == [
        "the plan's end is reached (session chunk 8): a directed session goes on until you close it "
        "(llv run stops here)"]
    done_before = [e.session_chunk for e in events[:notes[0][0]] if isinstance(e, ChunkDone)]
    assert done_before[-1] == 7, "said as the plan's last chunk completes"


def test_after_a_reset_the_plans_end_is_not_said_again(tmp_path):
    s = make_live(0, tmp_path / "t.jsonl")
    heard: asyncio.Queue = asyncio.Queue()
    s._subscribers.append(heard)
    s._after_reset()
    for chunk in range(12):
        s._chunk_done({"session_chunk": chunk, "chunk_index": chunk, "active_prompt": "p"})
    events = [heard.get_nowait() for _ in range(heard.qsize())]
    assert [e.session_chunk for e in events if isinstance(e, ChunkDone)] == list(range(12))
    assert not [e for e in events if isinstance(e, Note)]
