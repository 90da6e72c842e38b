"""LongLive-2.0's observable behaviour as a pure state machine clocked by its caller.

The engine knows nothing about time, sockets or pixels. Its caller feeds it commands
(:meth:`Engine.handle`) and asks it for frames (:meth:`Engine.step_frame`); both return the
messages the model would send. Pacing frames to the output rate, encoding them and putting
messages on the wire is the caller's business.

Every rule it enforces is listed, with its source, in ``docs/simulator.md``. Where the published
sources are silent the engine takes the conservative choice (it refuses what the hosted model might
refuse), because the compiler's static checks assume exactly these rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from longlive_dsl import model

DEFAULT_SEED = 0
"""The seed a fresh (or reset) engine reports. The hosted model's default is unpublished."""

SHOT = model.SHOT
"""Kind of a soft beat (``set_shot`` while started, ``schedule_shot``)."""
CUT = model.CUT
"""Kind of a hard beat (``scene_cut`` while started, ``schedule_scene_cut``)."""


@dataclass(frozen=True)
class Message:
    """One model -> client message."""

    type: str
    data: dict


@dataclass(frozen=True)
class FrameInfo:
    """What one synthesized frame shows; the frame renderer stamps these."""

    session_chunk: int
    """0-based index of the chunk this frame belongs to."""
    chunk_in_scene: int
    """0-based index of that chunk within its scene."""
    scene_number: int
    """0 for the opener's scene, +1 on every cut that fired."""
    frame_in_chunk: int
    """0 .. chunk_frames - 1."""
    prompt: str
    """The prompt active for this chunk."""
    chunk_frames: int | None = field(default=None, compare=False)
    """Frames in this chunk (a scene's first chunk and the later ones may differ; see model.Clock)."""


@dataclass(frozen=True)
class Beat:
    """A pending prompt change: fires when generation reaches ``at_session_chunk``."""

    kind: str  # SHOT or CUT
    prompt: str
    at_session_chunk: int


# Command schemas: field name -> required Python type. Every field is required, no other is allowed.
_SCHEMAS: dict[str, dict[str, type]] = {
    model.SET_SEED: {model.SEED: int},
    model.SET_SHOT: {model.PROMPT: str},
    model.SCENE_CUT: {model.PROMPT: str},
    model.SCHEDULE_SHOT: {model.PROMPT: str, model.AT_SESSION_CHUNK: int},
    model.SCHEDULE_SCENE_CUT: {model.PROMPT: str, model.AT_SESSION_CHUNK: int},
    model.START: {},
    model.PAUSE: {},
    model.RESUME: {},
    model.RESET: {},
}
assert set(_SCHEMAS) == set(model.COMMANDS)

_TYPE_NAMES = {int: "an integer", str: "a string"}


def _schema_error(command: str, data: Any) -> str | None:
    """Why ``data`` does not fit ``command``'s schema, or None if it does."""
    if not isinstance(data, dict):
        return f"data must be an object, got {type(data).__name__}"
    schema = _SCHEMAS[command]
    for key in data:
        if key not in schema:
            return f"unexpected field {key!r}; {command} takes {sorted(schema) or 'no fields'}"
    for key, wanted in schema.items():
        if key not in data:
            return f"missing field {key!r}"
        value = data[key]
        # bool is a subclass of int; a JSON true is not a chunk number or a seed.
        if not isinstance(value, wanted) or isinstance(value, bool):
            return f"field {key!r} must be {_TYPE_NAMES[wanted]}, got {type(value).__name__}"
    return None


def parse_frames_per_chunk(value: int | str | tuple[int, int] | model.Clock) -> tuple[int, int]:
    """Frames per chunk as (a scene's first chunk, each later one): from a clock profile or its name,
    ``"N"``/``N`` (every chunk alike), ``"FIRST,LATER"`` or a pair; ValueError when malformed."""
    if isinstance(value, str) and value.strip() in model.CLOCKS:
        value = model.CLOCKS[value.strip()]
    if isinstance(value, model.Clock):
        return value.first_chunk_frames, value.later_chunk_frames
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",")]
        if len(parts) not in (1, 2) or not all(p.isdigit() for p in parts):
            raise ValueError(f"frames per chunk {value!r} must be N or FIRST,LATER (e.g. 29,32)")
        numbers = [int(p) for p in parts]
        value = (numbers[0], numbers[-1])
    pair: tuple[Any, ...] = value if isinstance(value, tuple) else (value, value)
    if len(pair) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 255 for v in pair):
        raise ValueError(f"frames per chunk must be integers in 1..255, got {value!r}")
    return pair[0], pair[1]


class Engine:
    """LongLive-2.0 as an object: commands in, messages and frame descriptions out."""

    def __init__(
        self,
        frames_per_chunk: int | tuple[int, int] | model.Clock = model.DEFAULT_CLOCK,
        scene_budget: int = model.SCENE_BUDGET_CHUNKS,
    ) -> None:
        """`frames_per_chunk`: a model.Clock, `(first, later)` (a scene's first chunk, each later one), or one
        number for every chunk (anything :func:`parse_frames_per_chunk` takes)."""
        if not isinstance(scene_budget, int) or isinstance(scene_budget, bool) or scene_budget < 1:
            raise ValueError(f"scene_budget must be a positive integer, got {scene_budget!r}")
        self.first_chunk_frames, self.later_chunk_frames = parse_frames_per_chunk(frames_per_chunk)
        self.scene_budget = scene_budget
        self._clear()

    @property
    def frames_per_chunk(self) -> int:
        """Frames in every chunk after a scene's first (all chunks, when the two are equal)."""
        return self.later_chunk_frames

    def chunk_frames(self, index_in_scene: int) -> int:
        """Frames in a scene's chunk number `index_in_scene` (0 = the one a scene opens on)."""
        return self.first_chunk_frames if index_in_scene == 0 else self.later_chunk_frames

    # ------------------------------------------------------------------ state

    def _clear(self) -> None:
        """Back to a fresh engine: no prompt, no schedule, zero clocks, default seed."""
        self._seed = DEFAULT_SEED
        self._prompt: str | None = None
        self._started = False
        self._paused = False
        self._complete = False
        self._session_chunk = 0
        self._scene_chunk = 0
        self._frame = 0
        self._frames_emitted = 0
        self._scene_number = 0
        self._beats: dict[int, Beat] = {}
        self._fired: list[Beat] = []

    @property
    def generating(self) -> bool:
        """Started, not paused, not complete: :meth:`step_frame` will produce a frame."""
        return self._started and not self._paused and not self._complete

    @property
    def complete(self) -> bool:
        """``generation_complete`` was sent; everything but ``reset`` is refused."""
        return self._complete

    @property
    def fired(self) -> tuple[Beat, ...]:
        """Every beat that fired since the last reset, in firing order."""
        return tuple(self._fired)

    def snapshot(self) -> dict:
        """The ``state`` message's data."""
        return {
            model.SEED: self._seed,
            model.PAUSED: self._paused,
            model.RUNNING: self._started and not self._paused,
            model.STARTED: self._started,
            model.HAS_PROMPT: self._prompt is not None,
            model.CURRENT_CHUNK: self._scene_chunk,
            model.CURRENT_FRAME: self._frame,
            model.SESSION_CHUNK: self._session_chunk,
            model.CURRENT_PROMPT: self._prompt,
            model.SCHEDULED_SHOTS: sorted(c for c, b in self._beats.items() if b.kind == SHOT),
            model.SCHEDULED_SCENE_CUTS: sorted(c for c, b in self._beats.items() if b.kind == CUT),
        }

    def _state(self) -> Message:
        return Message(model.STATE, self.snapshot())

    def connect_messages(self) -> list[Message]:
        """What a newly connected client gets: the current state."""
        return [self._state()]

    # --------------------------------------------------------------- commands

    def handle(self, command: str, data: dict) -> list[Message]:
        """Apply one command; return the messages the model sends in reply.

        A refused command changes nothing and yields exactly one ``command_error``.
        """
        if not isinstance(command, str) or command not in _SCHEMAS:
            known = ", ".join(model.COMMANDS)
            return _error(str(command), f"unknown command {command!r}; known commands: {known}")
        problem = _schema_error(command, data)
        if problem is not None:
            return _error(command, problem)
        if self._complete and command != model.RESET:
            return _error(command, "generation complete: every command but reset is refused until reset")
        handler = {
            model.SET_SEED: self._set_seed,
            model.SET_SHOT: self._set_shot,
            model.SCENE_CUT: self._scene_cut,
            model.SCHEDULE_SHOT: self._schedule_shot,
            model.SCHEDULE_SCENE_CUT: self._schedule_scene_cut,
            model.START: self._start,
            model.PAUSE: self._pause,
            model.RESUME: self._resume,
            model.RESET: self._reset,
        }[command]
        return handler(data)

    def _set_seed(self, data: dict) -> list[Message]:
        seed = data[model.SEED]
        if not model.SEED_MIN <= seed <= model.SEED_MAX:
            return _error(
                model.SET_SEED,
                f"seed {seed} is not a signed 32-bit integer ({model.SEED_MIN}..{model.SEED_MAX})",
            )
        if self._started:
            return _error(model.SET_SEED, "the seed is read at start; reset before changing it")
        self._seed = seed
        return [self._state()]

    def _set_shot(self, data: dict) -> list[Message]:
        prompt = data[model.PROMPT]
        problem = _prompt_problem(prompt)
        if problem:
            return _error(model.SET_SHOT, problem)
        if not self._started:
            self._prompt = prompt
        else:
            refused = self._add_beat(model.SET_SHOT, SHOT, prompt, self._session_chunk + 1)
            if refused:
                return refused
        return [Message(model.SHOT_SET, {model.PROMPT: prompt}), self._state()]

    def _scene_cut(self, data: dict) -> list[Message]:
        prompt = data[model.PROMPT]
        problem = _prompt_problem(prompt)
        if problem:
            return _error(model.SCENE_CUT, problem)
        if not self._started:
            return _error(
                model.SCENE_CUT,
                "scene_cut needs a started generation; set the opener with set_shot "
                "or plan a cut with schedule_scene_cut",
            )
        refused = self._add_beat(model.SCENE_CUT, CUT, prompt, self._session_chunk + 1)
        if refused:
            return refused
        return [self._state()]

    def _schedule_shot(self, data: dict) -> list[Message]:
        return self._schedule(model.SCHEDULE_SHOT, SHOT, model.SHOT_SCHEDULED, data)

    def _schedule_scene_cut(self, data: dict) -> list[Message]:
        return self._schedule(model.SCHEDULE_SCENE_CUT, CUT, model.SCENE_CUT_SCHEDULED, data)

    def _schedule(self, command: str, kind: str, ack: str, data: dict) -> list[Message]:
        prompt = data[model.PROMPT]
        at = data[model.AT_SESSION_CHUNK]
        problem = _prompt_problem(prompt)
        if problem:
            return _error(command, problem)
        refused = self._add_beat(command, kind, prompt, at)
        if refused:
            return refused
        return [Message(ack, {model.PROMPT: prompt, model.AT_SESSION_CHUNK: at}), self._state()]

    def _add_beat(self, command: str, kind: str, prompt: str, at: int) -> list[Message]:
        """Queue a beat at session chunk ``at``; return a command_error if refused, else []."""
        earliest = self._session_chunk + model.EARLIEST_BEAT_CHUNK  # the chunk after the one being made
        if at < earliest:
            return _error(
                command,
                f"past chunk: {model.AT_SESSION_CHUNK} {at} is before the earliest schedulable "
                f"chunk {earliest} (session_chunk + 1)",
            )
        taken = self._beats.get(at)
        if taken is not None:
            return _error(
                command,
                f"session chunk {at} already holds a scheduled {taken.kind}; one beat per chunk",
            )
        self._beats[at] = Beat(kind, prompt, at)
        return []

    def _start(self, data: dict) -> list[Message]:
        if self._started:
            return _error(model.START, "already started; reset before starting again")
        if self._prompt is None:
            return _error(model.START, "no prompt set; send set_shot first")
        self._started = True
        self._paused = False
        frame_num = self.first_chunk_frames + (self.scene_budget - 1) * self.later_chunk_frames
        return [Message(model.GENERATION_STARTED, {model.FRAME_NUM: frame_num}), self._state()]

    def _pause(self, data: dict) -> list[Message]:
        if not self._started:
            return _error(model.PAUSE, "not started")
        if self._paused:
            return _error(model.PAUSE, "already paused")
        self._paused = True
        return [Message(model.GENERATION_PAUSED, {}), self._state()]

    def _resume(self, data: dict) -> list[Message]:
        if not self._started:
            return _error(model.RESUME, "not started")
        if not self._paused:
            return _error(model.RESUME, "not paused")
        self._paused = False
        return [Message(model.GENERATION_RESUMED, {}), self._state()]

    def _reset(self, data: dict) -> list[Message]:
        self._clear()
        return [Message(model.GENERATION_RESET, {}), self._state()]

    # ----------------------------------------------------------------- frames

    def step_frame(self) -> tuple[FrameInfo | None, list[Message]]:
        """Produce the next frame if generating, else ``(None, [])``.

        The frame that ends a chunk also returns ``chunk_complete``, then whatever the chunk
        boundary triggers (``scene_cut`` or ``generation_complete``), then ``state``.
        """
        if not self.generating:
            return None, []
        assert self._prompt is not None
        info = FrameInfo(
            session_chunk=self._session_chunk,
            chunk_in_scene=self._scene_chunk,
            scene_number=self._scene_number,
            frame_in_chunk=self._frame,
            prompt=self._prompt,
            chunk_frames=self.chunk_frames(self._scene_chunk),
        )
        self._frame += 1
        self._frames_emitted += 1
        if self._frame < self.chunk_frames(self._scene_chunk):
            return info, []
        return info, self._finish_chunk()

    def _finish_chunk(self) -> list[Message]:
        """The current chunk's last frame went out: advance the clocks, cross the boundary."""
        assert self._prompt is not None
        messages = [
            Message(
                model.CHUNK_COMPLETE,
                {
                    model.CHUNK_INDEX: self._scene_chunk,
                    model.SESSION_CHUNK: self._session_chunk,
                    model.ACTIVE_PROMPT: self._prompt,
                    model.FRAMES_EMITTED: self._frames_emitted,
                },
            )
        ]
        self._frame = 0
        self._scene_chunk += 1
        self._session_chunk += 1
        beat = self._beats.pop(self._session_chunk, None)
        if self._scene_chunk >= self.scene_budget and (beat is None or beat.kind != CUT):
            # The scene spent its budget and no cut rescues it: the run ends here, and every
            # beat still pending (including a soft shot on this very chunk) never fires.
            self._complete = True
            self._started = False
            self._paused = False
            self._beats.clear()
            messages.append(Message(model.GENERATION_COMPLETE, {model.TOTAL_CHUNKS: self._session_chunk}))
        elif beat is not None:
            messages.extend(self._fire(beat))
        messages.append(self._state())
        return messages

    def _fire(self, beat: Beat) -> list[Message]:
        self._fired.append(beat)
        self._prompt = beat.prompt
        if beat.kind == SHOT:
            return []
        self._scene_number += 1
        self._scene_chunk = 0
        return [
            Message(
                model.SCENE_CUT_FIRED,
                {model.PROMPT: beat.prompt, model.AT_SESSION_CHUNK: beat.at_session_chunk},
            )
        ]


def _prompt_problem(prompt: str) -> str | None:
    """Why the model refuses a prompt (blank, or longer than model.PROMPT_MAX_CHARS), or None."""
    if not prompt.strip():
        return "prompt is empty"
    if len(prompt) > model.PROMPT_MAX_CHARS:
        return f"prompt is {len(prompt)} characters; at most {model.PROMPT_MAX_CHARS} are allowed"
    return None


def _error(command: str, reason: str) -> list[Message]:
    return [Message(model.COMMAND_ERROR, {model.COMMAND: command, model.REASON: reason})]
