"""The compiled Program: wire commands in order, the end, a scene table and a source map."""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from . import model

PROGRAM_FORMAT: Final = "llv-program/1"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SeedData(_Strict):
    seed: int = Field(ge=model.SEED_MIN, le=model.SEED_MAX)


class PromptData(_Strict):
    prompt: str = Field(min_length=1, max_length=model.PROMPT_MAX_CHARS)


class ScheduledPromptData(_Strict):
    prompt: str = Field(min_length=1, max_length=model.PROMPT_MAX_CHARS)
    at_session_chunk: int = Field(ge=model.EARLIEST_BEAT_CHUNK)


class EmptyData(_Strict):
    pass


# Literal types must spell their values (mypy); tests/language/test_vocabulary.py checks that each
# equals its model.py constant.


class SetSeed(_Strict):
    type: Literal["set_seed"] = model.SET_SEED
    data: SeedData


class SetShot(_Strict):
    type: Literal["set_shot"] = model.SET_SHOT
    data: PromptData


class ScheduleShot(_Strict):
    type: Literal["schedule_shot"] = model.SCHEDULE_SHOT
    data: ScheduledPromptData


class ScheduleSceneCut(_Strict):
    type: Literal["schedule_scene_cut"] = model.SCHEDULE_SCENE_CUT
    data: ScheduledPromptData


class Start(_Strict):
    type: Literal["start"] = model.START
    data: EmptyData = EmptyData()


Command = Annotated[SetSeed | SetShot | ScheduleShot | ScheduleSceneCut | Start, Field(discriminator="type")]
"""One wire command, `{"type": ..., "data": {...}}`, exactly as the model takes it."""


class SourceSpan(_Strict):
    """Where in the .llv file something came from (1-based lines and columns, end exclusive)."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int


class Beat(_Strict):
    """One prompt change: the opener, a soft shot or a cut, at its absolute session chunk."""

    kind: Literal["opener", "shot", "cut"]
    chunk: int
    prompt: str
    command_index: int
    span: SourceSpan


class SceneEntry(_Strict):
    """A scene as planned: where it starts, where it ends (if known) and where the model completes it."""

    number: int
    name: str | None
    start: int
    end: int | None
    completes_at: int
    beats: list[Beat]
    span: SourceSpan


class ClockProfile(_Strict):
    """The chunk clock the plan assumed: frames in a scene's first chunk and in every later one."""

    name: str
    first_chunk_frames: int = Field(ge=1)
    later_chunk_frames: int = Field(ge=1)

    @classmethod
    def of(cls, clock: model.Clock) -> ClockProfile:
        """The profile of a model.Clock."""
        return cls(name=clock.name, first_chunk_frames=clock.first_chunk_frames,
                   later_chunk_frames=clock.later_chunk_frames)

    def as_clock(self) -> model.Clock:
        """The model.Clock with these numbers (the named one when it is a known profile)."""
        known = model.CLOCKS.get(self.name)
        if known is not None and (known.first_chunk_frames, known.later_chunk_frames) == (
                self.first_chunk_frames, self.later_chunk_frames):
            return known
        return model.Clock(self.name, self.first_chunk_frames, self.later_chunk_frames, "from a compiled Program")


def _default_clock() -> ClockProfile:
    return ClockProfile.of(model.DEFAULT_CLOCK)


class SourceMapEntry(_Strict):
    command_index: int
    span: SourceSpan


class Program(_Strict):
    """Everything a runtime needs to play a storyboard, and everything it needs to explain it."""

    format: Literal["llv-program/1"] = PROGRAM_FORMAT
    source: str
    title: str | None = None
    commands: list[Command]
    end: int | None = Field(
        default=None,
        description="Stop after this many session chunks (client-side; the wire has no stop command). "
        "None: run until the model completes the last scene.",
    )
    stops_at: int = Field(description="The session chunk count at which the run is expected to stop: the earlier "
                          "of `end` and the chunk at which the model completes the last scene.")
    clock: ClockProfile = Field(default_factory=_default_clock,
                                description="The chunk clock seconds were converted on and frames are counted by.")
    frames: int | None = Field(default=None, ge=0,
                               description="Frames the run is expected to emit by `stops_at`, on `clock`.")
    scenes: list[SceneEntry]
    source_map: list[SourceMapEntry]

    def wire_lines(self) -> list[str]:
        """The commands as one `{"type", "data"}` JSON object per line."""
        import json

        return [json.dumps(c.model_dump(mode="json"), ensure_ascii=False) for c in self.commands]
