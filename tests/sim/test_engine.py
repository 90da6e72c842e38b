"""The simulator engine, rule by rule. Each test is named after the behaviour it pins down;
docs/simulator.md lists the same rules in one table."""

from __future__ import annotations

import dataclasses

import pytest

from longlive_dsl import model
from longlive_dsl.sim import Engine, FrameInfo, Message
from longlive_dsl.sim.engine import DEFAULT_SEED

FPC = 3  # frames per chunk in the small engines below
BUDGET = 4  # scene budget in the small engines below
AT = model.AT_SESSION_CHUNK


# ----------------------------------------------------------------------------- helpers


def small() -> Engine:
    return Engine(frames_per_chunk=FPC, scene_budget=BUDGET)


def types(messages: list[Message]) -> list[str]:
    return [m.type for m in messages]


def only_error(messages: list[Message]) -> Message:
    assert types(messages) == [model.COMMAND_ERROR], messages
    return messages[0]


def last_state(messages: list[Message]) -> dict:
    states = [m.data for m in messages if m.type == model.STATE]
    assert states, messages
    return states[-1]


def started(engine: Engine, prompt: str = "opener") -> Engine:
    engine.handle(model.SET_SHOT, {"prompt": prompt})
    engine.handle(model.START, {})
    return engine


def step_frames(engine: Engine, n: int) -> tuple[list[FrameInfo], list[Message]]:
    frames: list[FrameInfo] = []
    messages: list[Message] = []
    for _ in range(n):
        info, out = engine.step_frame()
        if info is not None:
            frames.append(info)
        messages.extend(out)
    return frames, messages


def run_chunks(engine: Engine, n: int) -> tuple[list[FrameInfo], list[Message]]:
    return step_frames(engine, n * engine.frames_per_chunk)


def prompts_by_chunk(frames: list[FrameInfo]) -> dict[int, str]:
    return {f.session_chunk: f.prompt for f in frames}


# ------------------------------------------------------------------- configuration


def test_defaults_come_from_the_model_facts():
    engine = Engine()
    assert engine.first_chunk_frames == model.DEFAULT_CLOCK.first_chunk_frames
    assert engine.later_chunk_frames == model.DEFAULT_CLOCK.later_chunk_frames
    assert engine.scene_budget == model.SCENE_BUDGET_CHUNKS


def test_the_default_engine_emits_29_frames_on_a_scenes_first_chunk_then_32():
    engine = started(Engine())
    engine.handle(model.SCHEDULE_SCENE_CUT, {"prompt": "cut", model.AT_SESSION_CHUNK: 2})
    frames, messages = step_frames(engine, 29 + 32 + 29 + 32)
    per_chunk = [sum(1 for f in frames if f.session_chunk == c) for c in range(4)]
    assert per_chunk == [29, 32, 29, 32]
    emitted = [m.data["frames_emitted"] for m in messages if m.type == model.CHUNK_COMPLETE]
    assert emitted == [29, 61, 90, 122]  # the whole session, across the cut


def test_the_docs_clock_and_a_first_later_pair_set_the_frames_per_chunk():
    assert (Engine(model.DOCS_CLOCK).first_chunk_frames, Engine(model.DOCS_CLOCK).later_chunk_frames) == (29, 29)
    assert (Engine((3, 5)).first_chunk_frames, Engine((3, 5)).later_chunk_frames) == (3, 5)
    assert Engine(model.DOCS_CLOCK).handle(model.SET_SHOT, {"prompt": "p"})  # a working engine
    for given, (first, later) in ((model.DOCS_CLOCK, (29, 29)), ((3, 5), (3, 5))):  # and it plays those frames
        engine = started(Engine(given))
        engine.handle(model.SCHEDULE_SCENE_CUT, {"prompt": "cut", AT: 2})
        frames, _ = step_frames(engine, 2 * (first + later))
        assert [sum(1 for f in frames if f.session_chunk == c) for c in range(4)] == [first, later, first, later]
        assert {f.chunk_frames for f in frames if f.chunk_in_scene == 0} == {first}


def test_a_prompt_over_the_model_limit_is_refused():
    engine = Engine()
    (error,) = engine.handle(model.SET_SHOT, {"prompt": "x" * (model.PROMPT_MAX_CHARS + 1)})
    assert error.type == model.COMMAND_ERROR and str(model.PROMPT_MAX_CHARS) in error.data["reason"]
    assert engine.handle(model.SET_SHOT, {"prompt": "x" * model.PROMPT_MAX_CHARS})[0].type == model.SHOT_SET


@pytest.mark.parametrize("kwargs", [{"frames_per_chunk": 0}, {"scene_budget": 0}, {"frames_per_chunk": True}, {"scene_budget": 2.0}])
def test_config_knobs_must_be_positive_integers(kwargs):
    with pytest.raises(ValueError):
        Engine(**kwargs)


def test_messages_and_frame_infos_are_immutable_values():
    message = Message(model.STATE, {})
    info = FrameInfo(0, 0, 0, 0, "p")
    with pytest.raises(dataclasses.FrozenInstanceError):
        message.type = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.prompt = "x"  # type: ignore[misc]


# ------------------------------------------------------------------ connect and state


def test_a_new_client_gets_one_state_message():
    messages = small().connect_messages()
    assert types(messages) == [model.STATE]


def test_a_fresh_engine_is_idle_with_no_prompt_and_zero_clocks():
    assert small().snapshot() == {
        "seed": DEFAULT_SEED,
        "paused": False,
        "running": False,
        "started": False,
        "has_prompt": False,
        "current_chunk": 0,
        "current_frame": 0,
        "session_chunk": 0,
        "current_prompt": None,
        "scheduled_shots": [],
        "scheduled_scene_cuts": [],
    }


def test_snapshot_is_a_fresh_copy_each_time():
    engine = small()
    engine.snapshot()["scheduled_shots"].append(99)
    assert engine.snapshot()["scheduled_shots"] == []


# ---------------------------------------------------------------- bad commands


def test_unknown_command_is_refused_with_command_error():
    error = only_error(small().handle("unschedule", {}))
    assert error.data["command"] == "unschedule"
    assert "unknown command" in error.data["reason"]


def test_non_string_command_name_is_refused_not_raised():
    error = only_error(small().handle(42, {}))  # type: ignore[arg-type]
    assert error.data["command"] == "42"


@pytest.mark.parametrize("data", [None, [], "prompt", 3])
def test_data_that_is_not_an_object_is_refused(data):
    error = only_error(small().handle(model.SET_SHOT, data))
    assert "object" in error.data["reason"]


def test_missing_field_is_refused():
    error = only_error(small().handle(model.SCHEDULE_SHOT, {"prompt": "p"}))
    assert error.data == {"command": model.SCHEDULE_SHOT, "reason": f"missing field {AT!r}"}


def test_extra_field_is_refused():
    error = only_error(small().handle(model.SCHEDULE_SHOT, {"prompt": "p", AT: 2, "session_chunk": 2}))
    assert "unexpected field 'session_chunk'" in error.data["reason"]


def test_run_control_commands_take_no_fields():
    error = only_error(small().handle(model.START, {"now": True}))
    assert "unexpected field" in error.data["reason"]


@pytest.mark.parametrize(
    "command,data",
    [
        (model.SET_SHOT, {"prompt": 5}),
        (model.SET_SEED, {"seed": "5"}),
        (model.SET_SEED, {"seed": 5.0}),
        (model.SCHEDULE_SHOT, {"prompt": "p", AT: 2.0}),
        (model.SCHEDULE_SCENE_CUT, {"prompt": "p", AT: "2"}),
    ],
)
def test_wrong_field_type_is_refused(command, data):
    assert "must be" in only_error(small().handle(command, data)).data["reason"]


@pytest.mark.parametrize("command,data", [(model.SET_SEED, {"seed": True}), (model.SCHEDULE_SHOT, {"prompt": "p", AT: True})])
def test_bool_is_not_accepted_as_an_integer(command, data):
    assert "integer" in only_error(small().handle(command, data)).data["reason"]


def test_a_refused_command_changes_nothing():
    engine = started(small())
    engine.handle(model.SCHEDULE_SHOT, {"prompt": "later", AT: 2})
    before = engine.snapshot()
    for command, data in [
        (model.SCHEDULE_SHOT, {"prompt": "dup", AT: 2}),
        (model.START, {}),
        (model.RESUME, {}),
        (model.SET_SEED, {"seed": 1}),
        (model.SET_SHOT, {"prompt": "  "}),
        ("nope", {}),
    ]:
        only_error(engine.handle(command, data))
        assert engine.snapshot() == before


# ----------------------------------------------------------------------- prompts


@pytest.mark.parametrize(
    "command,extra",
    [(model.SET_SHOT, {}), (model.SCENE_CUT, {}), (model.SCHEDULE_SHOT, {AT: 1}), (model.SCHEDULE_SCENE_CUT, {AT: 1})],
)
@pytest.mark.parametrize("prompt", ["", "   ", "\n\t"])
def test_empty_or_blank_prompt_is_refused_by_every_prompt_command(command, extra, prompt):
    engine = started(small())
    assert only_error(engine.handle(command, {"prompt": prompt, **extra})).data["reason"] == "prompt is empty"


# ------------------------------------------------------------------------ seed


def test_set_seed_before_start_changes_the_reported_seed_without_an_ack():
    messages = small().handle(model.SET_SEED, {"seed": -7})
    assert types(messages) == [model.STATE]
    assert messages[0].data["seed"] == -7


@pytest.mark.parametrize("seed", [model.SEED_MIN, model.SEED_MAX])
def test_seed_accepts_the_signed_32_bit_extremes(seed):
    assert last_state(small().handle(model.SET_SEED, {"seed": seed}))["seed"] == seed


@pytest.mark.parametrize("seed", [model.SEED_MIN - 1, model.SEED_MAX + 1, 2**64])
def test_seed_outside_signed_32_bit_is_refused(seed):
    assert "32-bit" in only_error(small().handle(model.SET_SEED, {"seed": seed})).data["reason"]


def test_set_seed_while_started_is_refused():
    engine = started(small())
    only_error(engine.handle(model.SET_SEED, {"seed": 3}))
    engine.handle(model.PAUSE, {})
    only_error(engine.handle(model.SET_SEED, {"seed": 3}))


# ---------------------------------------------------------------- opener and start


def test_set_shot_before_start_sets_the_opener_and_is_acked_by_shot_set():
    messages = small().handle(model.SET_SHOT, {"prompt": "a lighthouse"})
    assert types(messages) == [model.SHOT_SET, model.STATE]
    assert messages[0].data == {"prompt": "a lighthouse"}
    state = messages[1].data
    assert state["has_prompt"] and state["current_prompt"] == "a lighthouse"
    assert state["scheduled_shots"] == []


def test_set_shot_before_start_twice_keeps_the_last_opener():
    engine = small()
    engine.handle(model.SET_SHOT, {"prompt": "first"})
    engine.handle(model.SET_SHOT, {"prompt": "second"})
    engine.handle(model.START, {})
    frames, _ = run_chunks(engine, 1)
    assert {f.prompt for f in frames} == {"second"}


def test_ack_echoes_the_prompt_as_sent():
    messages = small().handle(model.SET_SHOT, {"prompt": "  padded  "})
    assert messages[0].data == {"prompt": "  padded  "}


def test_start_without_a_prompt_is_refused():
    error = only_error(small().handle(model.START, {}))
    assert "no prompt" in error.data["reason"]


def test_start_sends_generation_started_with_the_opening_scene_frame_budget_then_state():
    engine = small()
    engine.handle(model.SET_SHOT, {"prompt": "p"})
    messages = engine.handle(model.START, {})
    assert types(messages) == [model.GENERATION_STARTED, model.STATE]
    assert messages[0].data == {"frame_num": BUDGET * FPC}
    state = messages[1].data
    assert state["started"] and state["running"] and not state["paused"]
    assert engine.generating


def test_start_twice_is_refused():
    engine = started(small())
    assert "already started" in only_error(engine.handle(model.START, {})).data["reason"]


# ------------------------------------------------------------------ frames and chunks


def test_step_frame_yields_nothing_before_start():
    engine = small()
    engine.handle(model.SET_SHOT, {"prompt": "p"})
    assert engine.step_frame() == (None, [])
    assert not engine.generating


def test_frames_are_stamped_with_chunk_scene_and_frame_position():
    engine = started(small(), "p")
    frames, _ = run_chunks(engine, 2)
    assert frames[:FPC + 1] == [FrameInfo(0, 0, 0, i, "p") for i in range(FPC)] + [FrameInfo(1, 1, 0, 0, "p")]


def test_current_frame_counts_frames_emitted_in_the_current_chunk():
    engine = started(small())
    step_frames(engine, FPC - 1)
    assert engine.snapshot()["current_frame"] == FPC - 1
    step_frames(engine, 1)
    assert engine.snapshot()["current_frame"] == 0


def test_only_the_last_frame_of_a_chunk_returns_messages():
    engine = started(small())
    outs = [engine.step_frame()[1] for _ in range(FPC)]
    assert outs[:-1] == [[] for _ in range(FPC - 1)]
    assert types(outs[-1]) == [model.CHUNK_COMPLETE, model.STATE]


def test_chunk_complete_reports_the_completed_chunk_and_cumulative_frames():
    engine = started(small(), "p")
    _, messages = run_chunks(engine, 2)
    completes = [m.data for m in messages if m.type == model.CHUNK_COMPLETE]
    assert completes == [
        {"chunk_index": 0, "session_chunk": 0, "active_prompt": "p", "frames_emitted": FPC},
        {"chunk_index": 1, "session_chunk": 1, "active_prompt": "p", "frames_emitted": 2 * FPC},
    ]


def test_state_after_a_chunk_counts_completed_chunks():
    engine = started(small())
    _, messages = run_chunks(engine, 2)
    state = last_state(messages)
    assert (state["session_chunk"], state["current_chunk"], state["current_frame"]) == (2, 2, 0)


# ---------------------------------------------------------------------- scheduling


def test_schedule_shot_is_acked_with_its_fields_and_listed_in_state():
    engine = small()
    messages = engine.handle(model.SCHEDULE_SHOT, {"prompt": "p2", AT: 2})
    assert types(messages) == [model.SHOT_SCHEDULED, model.STATE]
    assert messages[0].data == {"prompt": "p2", AT: 2}
    assert messages[1].data["scheduled_shots"] == [2]


def test_schedule_scene_cut_is_acked_with_its_fields_and_listed_in_state():
    engine = small()
    messages = engine.handle(model.SCHEDULE_SCENE_CUT, {"prompt": "p2", AT: 3})
    assert types(messages) == [model.SCENE_CUT_SCHEDULED, model.STATE]
    assert messages[0].data == {"prompt": "p2", AT: 3}
    assert messages[1].data["scheduled_scene_cuts"] == [3]


def test_scheduled_lists_are_sorted():
    engine = small()
    for at in (3, 1, 2):
        engine.handle(model.SCHEDULE_SHOT, {"prompt": f"s{at}", AT: at})
    for at in (7, 5):
        engine.handle(model.SCHEDULE_SCENE_CUT, {"prompt": f"c{at}", AT: at})
    state = engine.snapshot()
    assert state["scheduled_shots"] == [1, 2, 3]
    assert state["scheduled_scene_cuts"] == [5, 7]


def test_schedule_before_start_at_chunk_0_is_a_past_chunk():
    for command in (model.SCHEDULE_SHOT, model.SCHEDULE_SCENE_CUT):
        error = only_error(small().handle(command, {"prompt": "p", AT: 0}))
        assert error.data["reason"].startswith("past chunk")


def test_schedule_before_start_at_chunk_1_is_the_earliest_accepted():
    assert types(small().handle(model.SCHEDULE_SHOT, {"prompt": "p", AT: 1}))[0] == model.SHOT_SCHEDULED


def test_schedule_at_a_negative_chunk_is_a_past_chunk():
    assert only_error(small().handle(model.SCHEDULE_SHOT, {"prompt": "p", AT: -1})).data["reason"].startswith("past chunk")


def test_schedule_while_running_must_be_after_the_chunk_being_generated():
    engine = started(small())
    run_chunks(engine, 2)
    step_frames(engine, 1)  # mid-chunk 2
    for at in (0, 1, 2):
        assert only_error(engine.handle(model.SCHEDULE_SHOT, {"prompt": "p", AT: at})).data["reason"].startswith("past chunk")
    assert types(engine.handle(model.SCHEDULE_SHOT, {"prompt": "p", AT: 3}))[0] == model.SHOT_SCHEDULED


def test_schedule_at_the_boundary_just_crossed_is_a_past_chunk():
    engine = started(small())
    run_chunks(engine, 1)  # chunk 1 is now being generated, no frame of it out yet
    assert only_error(engine.handle(model.SCHEDULE_SCENE_CUT, {"prompt": "p", AT: 1})).data["reason"].startswith("past chunk")


@pytest.mark.parametrize("first", [model.SCHEDULE_SHOT, model.SCHEDULE_SCENE_CUT])
@pytest.mark.parametrize("second", [model.SCHEDULE_SHOT, model.SCHEDULE_SCENE_CUT])
def test_a_second_beat_at_an_occupied_chunk_is_refused(first, second):
    engine = small()
    engine.handle(first, {"prompt": "one", AT: 2})
    error = only_error(engine.handle(second, {"prompt": "two", AT: 2}))
    assert "already holds" in error.data["reason"]


def test_scheduling_is_allowed_while_paused():
    engine = started(small())
    engine.handle(model.PAUSE, {})
    assert types(engine.handle(model.SCHEDULE_SHOT, {"prompt": "p", AT: 1}))[0] == model.SHOT_SCHEDULED


def test_scheduling_without_a_prompt_is_allowed_before_start():
    engine = small()
    engine.handle(model.SCHEDULE_SCENE_CUT, {"prompt": "later", AT: 2})
    assert not engine.snapshot()["has_prompt"]
    only_error(engine.handle(model.START, {}))


# ------------------------------------------------------------------------- firing


def test_a_scheduled_shot_takes_effect_at_the_start_of_its_chunk():
    engine = small()
    engine.handle(model.SET_SHOT, {"prompt": "a"})
    engine.handle(model.SCHEDULE_SHOT, {"prompt": "b", AT: 2})
    engine.handle(model.START, {})
    frames, messages = run_chunks(engine, 3)
    assert prompts_by_chunk(frames) == {0: "a", 1: "a", 2: "b"}
    assert [f.prompt for f in frames if f.session_chunk == 2] == ["b"] * FPC
    completes = [m.data["active_prompt"] for m in messages if m.type == model.CHUNK_COMPLETE]
    assert completes == ["a", "a", "b"]


def test_a_fired_shot_keeps_the_scene_and_its_chunk_count():
    engine = small()
    engine.handle(model.SET_SHOT, {"prompt": "a"})
    engine.handle(model.SCHEDULE_SHOT, {"prompt": "b", AT: 2})
    engine.handle(model.START, {})
    frames, messages = run_chunks(engine, 3)
    assert [(f.scene_number, f.chunk_in_scene) for f in frames[::FPC]] == [(0, 0), (0, 1), (0, 2)]
    assert model.SCENE_CUT_FIRED not in types(messages)


def test_the_state_after_the_boundary_shows_the_new_prompt_and_the_beat_gone():
    engine = small()
    engine.handle(model.SET_SHOT, {"prompt": "a"})
    engine.handle(model.SCHEDULE_SHOT, {"prompt": "b", AT: 1})
    engine.handle(model.START, {})
    _, messages = run_chunks(engine, 1)
    state = last_state(messages)
    assert state["current_prompt"] == "b" and state["scheduled_shots"] == []


def test_a_fired_cut_sends_scene_cut_and_starts_a_new_scene():
    engine = _engine_with_cut_at(2)
    _, boundary = run_chunks(engine, 2)
    assert types(boundary) == [
        model.CHUNK_COMPLETE, model.STATE, model.CHUNK_COMPLETE, model.SCENE_CUT_FIRED, model.STATE
    ]
    cut = next(m for m in boundary if m.type == model.SCENE_CUT_FIRED)
    assert cut.data == {"prompt": "b", AT: 2}
    state = last_state(boundary)
    assert (state["current_chunk"], state["session_chunk"], state["current_prompt"]) == (0, 2, "b")
    assert state["scheduled_scene_cuts"] == []
    assert engine.step_frame()[0] == FrameInfo(2, 0, 1, 0, "b")


def _engine_with_cut_at(at: int) -> Engine:
    engine = small()
    engine.handle(model.SET_SHOT, {"prompt": "a"})
    engine.handle(model.SCHEDULE_SCENE_CUT, {"prompt": "b", AT: at})
    engine.handle(model.START, {})
    return engine


def test_chunk_index_restarts_at_zero_after_a_cut_while_session_chunk_keeps_counting():
    engine = _engine_with_cut_at(2)
    _, messages = run_chunks(engine, 4)
    completes = [(m.data["chunk_index"], m.data["session_chunk"]) for m in messages if m.type == model.CHUNK_COMPLETE]
    assert completes == [(0, 0), (1, 1), (0, 2), (1, 3)]


def test_frames_emitted_is_cumulative_across_scenes():
    engine = _engine_with_cut_at(1)
    _, messages = run_chunks(engine, 3)
    assert [m.data["frames_emitted"] for m in messages if m.type == model.CHUNK_COMPLETE] == [FPC, 2 * FPC, 3 * FPC]


def test_a_beat_fires_at_most_once():
    engine = small()
    engine.handle(model.SET_SHOT, {"prompt": "a"})
    engine.handle(model.SCHEDULE_SHOT, {"prompt": "b", AT: 1})
    engine.handle(model.SCHEDULE_SCENE_CUT, {"prompt": "c", AT: 2})
    engine.handle(model.START, {})
    _, messages = run_chunks(engine, 4)
    assert [(b.kind, b.at_session_chunk) for b in engine.fired] == [(model.SHOT, 1), (model.CUT, 2)]
    assert types(messages).count(model.SCENE_CUT_FIRED) == 1


# --------------------------------------------------------------------- live beats


def test_set_shot_while_running_is_a_soft_shot_at_the_next_chunk():
    engine = started(small(), "a")
    step_frames(engine, 1)
    messages = engine.handle(model.SET_SHOT, {"prompt": "b"})
    assert types(messages) == [model.SHOT_SET, model.STATE]
    assert messages[1].data["scheduled_shots"] == [1]
    assert messages[1].data["current_prompt"] == "a"
    frames, _ = step_frames(engine, 2 * FPC - 1)
    assert prompts_by_chunk(frames) == {0: "a", 1: "b"}
    assert {f.scene_number for f in frames} == {0}


def test_set_shot_at_a_fresh_boundary_waits_for_the_following_chunk():
    engine = started(small(), "a")
    run_chunks(engine, 1)
    engine.handle(model.SET_SHOT, {"prompt": "b"})
    frames, _ = run_chunks(engine, 2)
    assert prompts_by_chunk(frames) == {1: "a", 2: "b"}


def test_scene_cut_while_running_is_a_hard_cut_at_the_next_chunk_with_no_ack():
    engine = started(small(), "a")
    messages = engine.handle(model.SCENE_CUT, {"prompt": "b"})
    assert types(messages) == [model.STATE]
    assert messages[0].data["scheduled_scene_cuts"] == [1]
    frames, out = run_chunks(engine, 2)
    assert next(m for m in out if m.type == model.SCENE_CUT_FIRED).data == {"prompt": "b", AT: 1}
    assert frames[FPC] == FrameInfo(1, 0, 1, 0, "b")


def test_scene_cut_before_start_is_refused():
    error = only_error(small().handle(model.SCENE_CUT, {"prompt": "b"}))
    assert "started" in error.data["reason"]


def test_a_live_beat_on_a_chunk_already_holding_a_beat_is_refused():
    engine = small()
    engine.handle(model.SET_SHOT, {"prompt": "a"})
    engine.handle(model.SCHEDULE_SHOT, {"prompt": "b", AT: 1})
    engine.handle(model.START, {})
    only_error(engine.handle(model.SET_SHOT, {"prompt": "c"}))
    only_error(engine.handle(model.SCENE_CUT, {"prompt": "c"}))


def test_live_beats_are_accepted_while_paused():
    engine = started(small(), "a")
    engine.handle(model.PAUSE, {})
    assert last_state(engine.handle(model.SCENE_CUT, {"prompt": "b"}))["scheduled_scene_cuts"] == [1]


# ------------------------------------------------------------------- scene budget


def test_a_scene_without_cuts_completes_after_its_budget():
    engine = started(small())
    _, messages = run_chunks(engine, BUDGET)
    assert types(messages)[-3:] == [model.CHUNK_COMPLETE, model.GENERATION_COMPLETE, model.STATE]
    assert next(m for m in messages if m.type == model.GENERATION_COMPLETE).data == {"total_chunks": BUDGET}
    state = last_state(messages)
    assert not state["started"] and not state["running"] and not state["paused"]
    assert state["current_chunk"] == BUDGET and state["session_chunk"] == BUDGET
    assert not engine.generating and engine.complete
    assert engine.step_frame() == (None, [])


def test_the_default_engine_completes_after_48_chunks_on_the_measured_clock():
    engine = started(Engine())
    frames, messages = step_frames(engine, model.SCENE_BUDGET_CHUNKS * 32 + 100)
    assert len(frames) == model.MEASURED_CLOCK.scene_frames(model.SCENE_BUDGET_CHUNKS) == 29 + 47 * 32
    assert types(messages).count(model.CHUNK_COMPLETE) == model.SCENE_BUDGET_CHUNKS
    assert model.GENERATION_COMPLETE in types(messages)


def test_a_cut_exactly_on_the_budget_edge_fires_and_generation_continues():
    engine = _engine_with_cut_at(BUDGET)
    frames, messages = run_chunks(engine, BUDGET + 1)
    assert model.GENERATION_COMPLETE not in types(messages)
    assert model.SCENE_CUT_FIRED in types(messages)
    assert frames[-1].session_chunk == BUDGET and frames[-1].scene_number == 1 and frames[-1].chunk_in_scene == 0


def test_a_soft_shot_on_the_budget_edge_never_fires():
    engine = small()
    engine.handle(model.SET_SHOT, {"prompt": "a"})
    engine.handle(model.SCHEDULE_SHOT, {"prompt": "b", AT: BUDGET})
    engine.handle(model.START, {})
    frames, messages = run_chunks(engine, BUDGET + 1)
    assert model.GENERATION_COMPLETE in types(messages)
    assert {f.prompt for f in frames} == {"a"}
    assert engine.fired == ()


def test_beats_past_the_end_never_fire_and_leave_the_schedule():
    engine = small()
    engine.handle(model.SET_SHOT, {"prompt": "a"})
    engine.handle(model.SCHEDULE_SHOT, {"prompt": "b", AT: BUDGET + 2})
    engine.handle(model.SCHEDULE_SCENE_CUT, {"prompt": "c", AT: BUDGET + 3})
    engine.handle(model.START, {})
    _, messages = run_chunks(engine, BUDGET + 5)
    state = last_state(messages)
    assert state["scheduled_shots"] == [] and state["scheduled_scene_cuts"] == []
    assert engine.fired == ()


def test_a_cut_gives_the_new_scene_a_fresh_budget():
    engine = _engine_with_cut_at(2)
    _, messages = run_chunks(engine, 2 + BUDGET + 1)
    complete = next(m for m in messages if m.type == model.GENERATION_COMPLETE)
    assert complete.data == {"total_chunks": 2 + BUDGET}


def test_a_soft_shot_spends_the_same_budget():
    engine = small()
    engine.handle(model.SET_SHOT, {"prompt": "a"})
    engine.handle(model.SCHEDULE_SHOT, {"prompt": "b", AT: 2})
    engine.handle(model.START, {})
    _, messages = run_chunks(engine, BUDGET + 1)
    assert next(m for m in messages if m.type == model.GENERATION_COMPLETE).data == {"total_chunks": BUDGET}


def test_cutting_every_budget_keeps_generation_going():
    engine = small()
    engine.handle(model.SET_SHOT, {"prompt": "s0"})
    for k in range(1, 4):
        engine.handle(model.SCHEDULE_SCENE_CUT, {"prompt": f"s{k}", AT: k * BUDGET})
    engine.handle(model.START, {})
    frames, messages = run_chunks(engine, 4 * BUDGET + 1)
    assert types(messages).count(model.SCENE_CUT_FIRED) == 3
    assert next(m for m in messages if m.type == model.GENERATION_COMPLETE).data == {"total_chunks": 4 * BUDGET}
    assert frames[-1].scene_number == 3


@pytest.mark.parametrize(
    "command,data",
    [
        (model.SET_SEED, {"seed": 1}),
        (model.SET_SHOT, {"prompt": "p"}),
        (model.SCENE_CUT, {"prompt": "p"}),
        (model.SCHEDULE_SHOT, {"prompt": "p", AT: 100}),
        (model.SCHEDULE_SCENE_CUT, {"prompt": "p", AT: 100}),
        (model.START, {}),
        (model.PAUSE, {}),
        (model.RESUME, {}),
    ],
)
def test_after_generation_complete_every_command_but_reset_is_refused(command, data):
    engine = started(small())
    run_chunks(engine, BUDGET)
    assert "generation complete" in only_error(engine.handle(command, data)).data["reason"]


def test_reset_after_generation_complete_unlocks_the_engine():
    engine = started(small())
    run_chunks(engine, BUDGET)
    assert types(engine.handle(model.RESET, {})) == [model.GENERATION_RESET, model.STATE]
    assert not engine.complete
    started(engine, "again")
    assert engine.step_frame()[0] == FrameInfo(0, 0, 0, 0, "again")


# ------------------------------------------------------------------ pause / resume


def test_pause_stops_frames_immediately_and_resume_continues_mid_chunk():
    engine = started(small(), "a")
    step_frames(engine, 1)
    messages = engine.handle(model.PAUSE, {})
    assert types(messages) == [model.GENERATION_PAUSED, model.STATE]
    assert messages[0].data == {}
    state = messages[1].data
    assert state["paused"] and not state["running"] and state["started"]
    assert state["current_frame"] == 1
    assert not engine.generating
    assert engine.step_frame() == (None, [])
    messages = engine.handle(model.RESUME, {})
    assert types(messages) == [model.GENERATION_RESUMED, model.STATE]
    assert messages[1].data["running"] and not messages[1].data["paused"]
    assert engine.step_frame()[0] == FrameInfo(0, 0, 0, 1, "a")


def test_pause_before_start_is_refused():
    assert "not started" in only_error(small().handle(model.PAUSE, {})).data["reason"]


def test_pause_twice_is_refused():
    engine = started(small())
    engine.handle(model.PAUSE, {})
    assert "already paused" in only_error(engine.handle(model.PAUSE, {})).data["reason"]


def test_resume_when_not_paused_is_refused():
    assert "not started" in only_error(small().handle(model.RESUME, {})).data["reason"]
    assert "not paused" in only_error(started(small()).handle(model.RESUME, {})).data["reason"]


# ------------------------------------------------------------------------- reset


def test_reset_clears_prompt_schedule_counters_and_seed():
    engine = small()
    engine.handle(model.SET_SEED, {"seed": 99})
    engine.handle(model.SET_SHOT, {"prompt": "a"})
    engine.handle(model.SCHEDULE_SHOT, {"prompt": "b", AT: 1})
    engine.handle(model.SCHEDULE_SCENE_CUT, {"prompt": "c", AT: 3})
    engine.handle(model.START, {})
    step_frames(engine, 2 * FPC + 1)
    engine.handle(model.PAUSE, {})
    messages = engine.handle(model.RESET, {})
    assert types(messages) == [model.GENERATION_RESET, model.STATE]
    assert messages[0].data == {}
    assert messages[1].data == small().snapshot()
    assert engine.fired == ()
    assert not engine.generating


def test_reset_is_accepted_when_idle():
    assert types(small().handle(model.RESET, {})) == [model.GENERATION_RESET, model.STATE]


def test_after_reset_the_clocks_start_again_from_zero():
    engine = started(small(), "a")
    run_chunks(engine, 2)
    engine.handle(model.RESET, {})
    started(engine, "b")
    _, messages = run_chunks(engine, 1)
    assert next(m for m in messages if m.type == model.CHUNK_COMPLETE).data == {
        "chunk_index": 0,
        "session_chunk": 0,
        "active_prompt": "b",
        "frames_emitted": FPC,
    }


def test_after_reset_the_earliest_schedulable_chunk_is_1_again():
    engine = started(small())
    run_chunks(engine, 2)
    engine.handle(model.RESET, {})
    assert types(engine.handle(model.SCHEDULE_SHOT, {"prompt": "p", AT: 1}))[0] == model.SHOT_SCHEDULED


# ------------------------------------------------------------------- determinism


def test_the_same_inputs_give_the_same_outputs():
    def run() -> list:
        engine = small()
        out: list = []
        out += engine.handle(model.SET_SEED, {"seed": 5})
        out += engine.handle(model.SET_SHOT, {"prompt": "a"})
        out += engine.handle(model.SCHEDULE_SCENE_CUT, {"prompt": "b", AT: 2})
        out += engine.handle(model.START, {})
        for _ in range(20):
            out.append(engine.step_frame())
        return out

    assert run() == run()
