"""Random command sequences and frame steps against the engine: it never raises, and its clocks,
schedule and lock obey their invariants after every step."""

from __future__ import annotations

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from longlive_dsl import model
from longlive_dsl.sim import Engine, FrameInfo, Message

AT = model.AT_SESSION_CHUNK

PROMPTS = st.sampled_from(["a", "b", "sunrise over a harbour", "", "   ", "\t"])
JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
FIELD_NAMES = st.sampled_from(["prompt", "seed", AT, "session_chunk", ""])


class EngineMachine(RuleBasedStateMachine):
    @initialize(frames_per_chunk=st.integers(1, 3), scene_budget=st.integers(1, 4), data=st.data())
    def build(self, frames_per_chunk: int, scene_budget: int, data) -> None:
        # Beats land around the budget edges (multiples of scene_budget) as often as elsewhere.
        at = st.integers(1, 3 * scene_budget + 2) | st.integers(1, 3).map(lambda k: k * scene_budget)
        storyboard = data.draw(st.none() | st.lists(st.tuples(at, st.booleans()), max_size=6), "storyboard")
        self.engine = Engine(frames_per_chunk=frames_per_chunk, scene_budget=scene_budget)
        self.last_session_chunk = 0
        self.last_frames_emitted = 0
        self.frames_since_start = 0
        self.last_frame: FrameInfo | None = None
        self.pending = self._pending()
        self.fired_seen = 0
        self.completed = False
        self.cut_chunks_seen: list[int] = []
        if storyboard is not None:
            # Most runs begin the way the compiler's output does: opener, beats, start.
            self.send(model.SET_SHOT, {"prompt": "opener"})
            for at, cut in storyboard:
                command = model.SCHEDULE_SCENE_CUT if cut else model.SCHEDULE_SHOT
                self.send(command, {"prompt": f"beat {at}", AT: at})
            assert self.send(model.START, {})[0].type == model.GENERATION_STARTED

    # ------------------------------------------------------------------ plumbing

    def _pending(self) -> dict[int, str]:
        state = self.engine.snapshot()
        out = {c: model.SHOT for c in state["scheduled_shots"]}
        out.update({c: model.CUT for c in state["scheduled_scene_cuts"]})
        return out

    def _forget_history(self) -> None:
        self.last_session_chunk = 0
        self.last_frames_emitted = 0
        self.frames_since_start = 0
        self.last_frame = None
        self.fired_seen = 0
        self.completed = False
        self.cut_chunks_seen = []

    def send(self, command, data) -> list[Message]:
        before = self.engine.snapshot()
        locked = self.engine.complete
        messages = self.engine.handle(command, data)
        assert messages, "every command gets an answer"
        assert all(isinstance(m, Message) for m in messages)
        if messages[0].type == model.COMMAND_ERROR:
            assert len(messages) == 1
            assert set(messages[0].data) == {"command", "reason"}
            assert isinstance(messages[0].data["reason"], str) and messages[0].data["reason"]
            assert self.engine.snapshot() == before, "a refused command changes nothing"
        else:
            assert not locked or command == model.RESET, "generation_complete locks all but reset"
            assert messages[-1].type == model.STATE
            assert messages[-1].data == self.engine.snapshot()
            assert model.COMMAND_ERROR not in [m.type for m in messages]
        if command == model.RESET and messages[0].type == model.GENERATION_RESET:
            self._forget_history()
        self._check_beats(messages)
        return messages

    def _check_beats(self, messages: list[Message]) -> None:
        """Beats leave the schedule only by firing on their own chunk, completion or reset."""
        now = self._pending()
        fired = self.engine.fired
        new_fired = fired[self.fired_seen :]
        for beat in new_fired:
            event(f"fired a {beat.kind}")
            assert self.pending.get(beat.at_session_chunk) == beat.kind, "only a pending beat fires"
            assert beat.at_session_chunk == self.engine.snapshot()["session_chunk"]
        assert len(fired) >= self.fired_seen or any(m.type == model.GENERATION_RESET for m in messages)
        chunks = [b.at_session_chunk for b in fired]
        assert chunks == sorted(set(chunks)), "no beat fires twice"
        gone = set(self.pending) - set(now)
        if gone and not any(m.type in (model.GENERATION_RESET, model.GENERATION_COMPLETE) for m in messages):
            assert gone == {b.at_session_chunk for b in new_fired}
        for m in messages:
            if m.type == model.SCENE_CUT_FIRED:
                self.cut_chunks_seen.append(m.data[AT])
                if self.engine.snapshot()["session_chunk"] % self.engine.scene_budget == 0:
                    event("a cut fired on a chunk that is a multiple of the budget")
        assert self.cut_chunks_seen == sorted(set(self.cut_chunks_seen))
        self.pending = now
        self.fired_seen = len(fired)

    # -------------------------------------------------------------- valid-ish commands

    @rule(seed=st.integers(model.SEED_MIN - 2, model.SEED_MAX + 2) | st.sampled_from([0, -1, 7]))
    def set_seed(self, seed):
        self.send(model.SET_SEED, {"seed": seed})

    @rule(prompt=PROMPTS)
    def set_shot(self, prompt):
        self.send(model.SET_SHOT, {"prompt": prompt})

    @rule(prompt=PROMPTS)
    def scene_cut(self, prompt):
        self.send(model.SCENE_CUT, {"prompt": prompt})

    @rule(prompt=PROMPTS, offset=st.integers(-3, 8), cut=st.booleans())
    def schedule(self, prompt, offset, cut):
        at = self.engine.snapshot()["session_chunk"] + offset
        command = model.SCHEDULE_SCENE_CUT if cut else model.SCHEDULE_SHOT
        messages = self.send(command, {"prompt": prompt, AT: at})
        if messages[0].type != model.COMMAND_ERROR:
            assert messages[0].data == {"prompt": prompt, AT: at}

    @rule(command=st.sampled_from([model.START, model.PAUSE, model.RESUME]))
    def run_control(self, command):
        self.send(command, {})

    @rule()
    def reset(self):
        messages = self.send(model.RESET, {})
        assert [m.type for m in messages] == [model.GENERATION_RESET, model.STATE]

    # ---------------------------------------------------------------------- junk

    @rule(
        command_and_data=st.tuples(
            st.sampled_from(model.COMMANDS) | st.text(max_size=8) | st.integers() | st.none(), JUNK
        )
        | st.tuples(st.sampled_from(model.COMMANDS), st.dictionaries(FIELD_NAMES, JUNK, max_size=3))
    )
    def junk(self, command_and_data):
        self.send(*command_and_data)

    @rule()
    def opener_and_start(self):
        self.send(model.SET_SHOT, {"prompt": "again"})
        self.send(model.START, {})

    # -------------------------------------------------------------------- frames

    @rule(frames=st.integers(1, 3))
    def step(self, frames):
        self.step_frames(frames)

    @rule(chunks=st.integers(1, 8))
    def step_chunks(self, chunks):
        self.step_frames(chunks * self.engine.frames_per_chunk)

    def step_frames(self, n: int) -> None:
        for _ in range(n):
            was_generating = self.engine.generating
            info, messages = self.engine.step_frame()
            if not was_generating:
                assert (info, messages) == (None, [])
                continue
            assert info is not None
            self.frames_since_start += 1
            assert 0 <= info.frame_in_chunk < self.engine.frames_per_chunk
            assert 0 <= info.chunk_in_scene < self.engine.scene_budget
            if self.last_frame is not None:
                assert (info.session_chunk, info.frame_in_chunk) > (
                    self.last_frame.session_chunk,
                    self.last_frame.frame_in_chunk,
                )
                assert info.scene_number >= self.last_frame.scene_number
            self.last_frame = info
            types = [m.type for m in messages]
            last_in_chunk = info.frame_in_chunk == self.engine.frames_per_chunk - 1
            assert bool(messages) == last_in_chunk
            if messages:
                assert types[0] == model.CHUNK_COMPLETE and types[-1] == model.STATE
                done = messages[0].data
                assert done["session_chunk"] == info.session_chunk
                assert done["chunk_index"] == info.chunk_in_scene
                assert done["active_prompt"] == info.prompt
                assert done["frames_emitted"] == self.frames_since_start
                assert done["frames_emitted"] > self.last_frames_emitted
                self.last_frames_emitted = done["frames_emitted"]
                assert messages[-1].data == self.engine.snapshot()
                if model.GENERATION_COMPLETE in types:
                    self.completed = True
                    event("generation complete")
                    assert types == [model.CHUNK_COMPLETE, model.GENERATION_COMPLETE, model.STATE]
                    total = messages[1].data["total_chunks"]
                    assert total == self.engine.snapshot()["session_chunk"] == info.session_chunk + 1
                    assert self.engine.snapshot()["current_chunk"] == self.engine.scene_budget
                    assert self.pending.get(total) != model.CUT, "a cut on the budget edge rescues the run"
                else:
                    assert self.engine.snapshot()["current_chunk"] < self.engine.scene_budget
            self._check_beats(messages)

    @rule(command=st.sampled_from([c for c in model.COMMANDS if c != model.RESET]))
    def locked_commands_are_refused(self, command):
        if not self.engine.complete:
            return
        data = {
            model.SET_SEED: {"seed": 1},
            model.SET_SHOT: {"prompt": "p"},
            model.SCENE_CUT: {"prompt": "p"},
            model.SCHEDULE_SHOT: {"prompt": "p", AT: 10**6},
            model.SCHEDULE_SCENE_CUT: {"prompt": "p", AT: 10**6},
        }.get(command, {})
        messages = self.send(command, data)
        event("command refused after generation_complete")
        assert [m.type for m in messages] == [model.COMMAND_ERROR]

    # ---------------------------------------------------------------- invariants

    @invariant()
    def clocks_are_monotone_and_bounded(self):
        state = self.engine.snapshot()
        assert state["session_chunk"] >= self.last_session_chunk
        self.last_session_chunk = state["session_chunk"]
        assert 0 <= state["current_chunk"] <= self.engine.scene_budget
        assert 0 <= state["current_frame"] < self.engine.frames_per_chunk
        assert state["current_chunk"] <= state["session_chunk"]

    @invariant()
    def schedule_is_sorted_unique_and_in_the_future(self):
        state = self.engine.snapshot()
        shots, cuts = state["scheduled_shots"], state["scheduled_scene_cuts"]
        assert shots == sorted(set(shots)) and cuts == sorted(set(cuts))
        assert not set(shots) & set(cuts), "one beat per chunk"
        assert all(c > state["session_chunk"] for c in shots + cuts)

    @invariant()
    def flags_agree(self):
        state = self.engine.snapshot()
        assert state["running"] == (state["started"] and not state["paused"])
        assert self.engine.generating == state["running"]
        assert not (state["paused"] and not state["started"])
        assert state["has_prompt"] == (state["current_prompt"] is not None)
        assert model.SEED_MIN <= state["seed"] <= model.SEED_MAX
        if state["started"]:
            assert state["has_prompt"]
        if self.engine.complete:
            assert self.completed and not state["started"]
            assert state["scheduled_shots"] == state["scheduled_scene_cuts"] == []


EngineMachine.TestCase.settings = settings(
    max_examples=300,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestEngineProperties = EngineMachine.TestCase
