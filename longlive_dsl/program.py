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
    prompt: str = Field(min_length=1)


class ScheduledPromptData(_Strict):
    prompt: str = Field(min_length=1)
    at_session_chunk: int = Field(ge=0)


class EmptyData(_Strict):
    pass


class SetSeed(_Strict):
    type: Literal["set_seed"] = "set_seed"
    data: SeedData


class SetShot(_Strict):
    type: Literal["set_shot"] = "set_shot"
    data: PromptData


class ScheduleShot(_Strict):
    type: Literal["schedule_shot"] = "schedule_shot"
    data: ScheduledPromptData


class ScheduleSceneCut(_Strict):
    type: Literal["schedule_scene_cut"] = "schedule_scene_cut"
    data: ScheduledPromptData


class Start(_Strict):
    type: Literal["start"] = "start"
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
    stops_at: int = Field(description="The session chunk count at which the run is expected to stop.")
    scenes: list[SceneEntry]
    source_map: list[SourceMapEntry]

    def wire_lines(self) -> list[str]:
        """The commands as one `{"type", "data"}` JSON object per line."""
        import json

        return [json.dumps(c.model_dump(mode="json"), ensure_ascii=False) for c in self.commands]
