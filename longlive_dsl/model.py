"""LongLive-2.0 facts, in one place: the chunk clock, the scene budget and the wire names."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

MODEL_NAME = "longlive-v2"
"""The model's name on Reactor (published: the docs' model API reference)."""

FPS = 24
"""Frames per second of the output track (published)."""

HALF_FRAME_SECONDS = Fraction(1, 2 * FPS)
"""A seconds value is 'exact' when it lies within half a frame of a chunk boundary (ours)."""


@dataclass(frozen=True, slots=True)
class Clock:
    """How many frames each chunk of a scene holds: the first chunk after a cut, then every later one.

    The Wan causal VAE decodes the first latent frame of a scene to 1 frame and every later one to 4,
    so a chunk of 8 latent frames is 1 + 7*4 = 29 frames when it opens a scene and 8*4 = 32 after.
    """

    name: str
    first_chunk_frames: int
    later_chunk_frames: int
    source: str

    def chunk_frames(self, index_in_scene: int) -> int:
        """Frames in the scene's chunk number `index_in_scene` (0 = the chunk the scene opens on)."""
        return self.first_chunk_frames if index_in_scene == 0 else self.later_chunk_frames

    def scene_frames(self, chunks: int, first_in_scene: bool = True) -> int:
        """Frames in `chunks` chunks of a scene: its first ones (`first_in_scene`), or ones after a later boundary."""
        if chunks <= 0:
            return 0
        return self.chunk_frames(0 if first_in_scene else 1) + (chunks - 1) * self.later_chunk_frames

    def session_frames(self, scene_starts: Sequence[int], chunk: int) -> int:
        """Frames the session has emitted when it reaches chunk boundary `chunk`.

        `scene_starts` are the session chunks at which scenes open (a cut restarts the first-chunk
        count), sorted; the first is 0.
        """
        frames = 0
        for i, start in enumerate(scene_starts):
            if start >= chunk:
                break
            stop = scene_starts[i + 1] if i + 1 < len(scene_starts) else chunk
            frames += self.scene_frames(min(stop, chunk) - start)
        return frames

    def seconds(self, frames: int) -> Fraction:
        """Video time of a frame count."""
        return Fraction(frames, FPS)

    def nearest_boundary(self, seconds: Fraction, scene_starts: Sequence[int]) -> tuple[int, bool]:
        """The session chunk boundary nearest to an absolute video time, and whether it is exact.

        Each scene counts its chunks from its own start (`scene_starts`, sorted, the first 0): the
        time falls in the last scene that has begun by then, and is converted from that scene's start.
        """
        frames = seconds * FPS
        base_chunk, base_frames = 0, 0
        for start in scene_starts:
            at = self.session_frames(scene_starts, start)
            if at > frames:
                break
            base_chunk, base_frames = start, at
        n, exact = self.nearest_chunks(Fraction(frames - base_frames, FPS), first_in_scene=True)
        return base_chunk + n, exact

    def describe(self) -> str:
        """The profile in words, e.g. 'a scene's first chunk is 29 frames, each later one 32'."""
        if self.first_chunk_frames == self.later_chunk_frames:
            return f"every chunk is {self.first_chunk_frames} frames"
        return f"a scene's first chunk is {self.first_chunk_frames} frames, each later one {self.later_chunk_frames}"

    def nearest_chunks(self, seconds: Fraction, first_in_scene: bool = True) -> tuple[int, bool]:
        """The whole number of chunks nearest to a length in seconds, and whether it is exact.

        Counted from a chunk boundary: from a scene's first chunk (`first_in_scene`) or from a later one.
        Exact means within half a frame. Ties go to the larger count.
        """
        frames = seconds * FPS
        if frames <= 0:
            return 0, frames == 0
        first = self.chunk_frames(0 if first_in_scene else 1)
        # n chunks hold first + (n - 1) * later frames; solve for the nearest n >= 1, compare with 0.
        n = max(1, math.floor((frames - first) / self.later_chunk_frames + Fraction(1, 2)) + 1)
        held = self.scene_frames(n, first_in_scene)
        if frames < Fraction(first, 2):  # closer to no chunk at all
            n, held = 0, 0
        return n, abs(held - frames) <= Fraction(1, 2)


MEASURED_CLOCK = Clock(
    "measured", 29, 32,
    "measured by Reactor on cloud sessions (reactor-team/comfyui-reactor-api, reactor_render/timeline.py); "
    "the Wan causal VAE gives 1 + 7*4 = 29, then 8*4 = 32",
)
DOCS_CLOCK = Clock("docs", 29, 29, "published: Reactor's LongLive-2.0 docs say 29 frames per chunk")
CLOCKS = {c.name: c for c in (MEASURED_CLOCK, DOCS_CLOCK)}
"""The clock profiles a storyboard (`clock docs`) or the command line (`--clock`) may pick."""
DEFAULT_CLOCK = MEASURED_CLOCK

FRAMES_PER_CHUNK = DOCS_CLOCK.later_chunk_frames
"""Frames in one chunk as the published docs give it (every chunk alike); see Clock for the measured truth."""

CHUNK_SECONDS = Fraction(FRAMES_PER_CHUNK, FPS)
"""Length of one chunk on the docs clock (29/24 ~ 1.2083 s)."""

# ---- limits ----------------------------------------------------------------------------------
# Every limit the model or the simulator enforces, once. "Published" means Reactor's LongLive-2.0
# docs (or its reference app / SDKs) state it; "ours" means the sources are silent and the simulator
# enforces our conservative choice. The simulator enforces each, and a check reports each before a run.

SCENE_BUDGET_CHUNKS = 48
"""A scene auto-completes after this many chunks; a cut starts a fresh budget (published)."""


def scene_completes_at(scene_start: int) -> int:
    """The session chunk at which the model completes a scene that opened at `scene_start`."""
    return scene_start + SCENE_BUDGET_CHUNKS

SEED_MIN = -(2**31)
SEED_MAX = 2**31 - 1
"""The seed is a signed 32-bit integer (ours: the docs and SDKs type it only as an integer; the
simulator refuses anything outside 32 bits, checked by E304)."""

PROMPT_MAX_CHARS = 4000
"""Longest prompt the simulator takes, in characters (ours: the hosted model publishes no limit; the
simulator's choice, well above the ~300 words W602 already warns about; checked by E406)."""

EARLIEST_BEAT_CHUNK = 1
"""A beat can be scheduled at session chunk 1 or later: chunk 0 belongs to the opener (published:
the earliest schedulable chunk is `session_chunk + 1`; the same bound before start is ours)."""

MAX_TIME_CHUNKS = 1_000_000
MAX_TIME_SECONDS = 1_000_000
"""The largest chunk count and the largest seconds value llv reads in a time (ours: about two weeks
of video, far past any session; larger values are refused by E306 rather than planned)."""

# ---- the wire --------------------------------------------------------------------------------
# LongLive's commands and messages, as Reactor's runtime carries them (published: the LongLive-2.0
# model API reference and its reference app). Each name is spelled here once; every other module
# (program, compiler, simulator, runtime, verify, language server, pictures) uses these constants,
# and tests/language/test_vocabulary.py fails on a stray spelling. The runtime's own framing
# (`{"scope", "data": {"type", "data"}}`, HTTP bodies) belongs to Reactor, not to the model, and is
# not listed here.

VIDEO_TRACK: Final = "main_video"
"""The model's output video track."""
DATA_CHANNEL: Final = "data"
"""The data channel commands and messages travel on."""
CONTROL_CHANNEL: Final = "control"
"""The control channel track verbs travel on."""

# Commands, client -> model.
SET_SEED: Final = "set_seed"
SET_SHOT: Final = "set_shot"
SCENE_CUT: Final = "scene_cut"
SCHEDULE_SHOT: Final = "schedule_shot"
SCHEDULE_SCENE_CUT: Final = "schedule_scene_cut"
START: Final = "start"
PAUSE: Final = "pause"
RESUME: Final = "resume"
RESET: Final = "reset"
COMMANDS = (SET_SEED, SET_SHOT, SCENE_CUT, SCHEDULE_SHOT, SCHEDULE_SCENE_CUT, START, PAUSE, RESUME, RESET)

# Command fields.
SEED: Final = "seed"
PROMPT: Final = "prompt"
AT_SESSION_CHUNK: Final = "at_session_chunk"

COMMAND_FIELDS: dict[str, tuple[str, ...]] = {
    SET_SEED: (SEED,),
    SET_SHOT: (PROMPT,),
    SCENE_CUT: (PROMPT,),
    SCHEDULE_SHOT: (PROMPT, AT_SESSION_CHUNK),
    SCHEDULE_SCENE_CUT: (PROMPT, AT_SESSION_CHUNK),
    START: (),
    PAUSE: (),
    RESUME: (),
    RESET: (),
}
"""The data fields of each command: all required, no others allowed."""

# Messages, model -> client.
STATE: Final = "state"
COMMAND_ERROR: Final = "command_error"
SHOT_SET: Final = "shot_set"
SHOT_SCHEDULED: Final = "shot_scheduled"
SCENE_CUT_SCHEDULED: Final = "scene_cut_scheduled"
SCENE_CUT_FIRED: Final = "scene_cut"
"""The message a hard cut sends when it fires; spelled like the command that cuts live."""
CHUNK_COMPLETE: Final = "chunk_complete"
GENERATION_STARTED: Final = "generation_started"
GENERATION_PAUSED: Final = "generation_paused"
GENERATION_RESUMED: Final = "generation_resumed"
GENERATION_RESET: Final = "generation_reset"
GENERATION_COMPLETE: Final = "generation_complete"

# Message fields (`seed`, `prompt` and `at_session_chunk` above are shared with the commands).
PAUSED: Final = "paused"
RUNNING: Final = "running"
STARTED: Final = "started"
HAS_PROMPT: Final = "has_prompt"
CURRENT_CHUNK: Final = "current_chunk"
"""Chunk index within the current scene (state)."""
CURRENT_FRAME: Final = "current_frame"
SESSION_CHUNK: Final = "session_chunk"
"""Cumulative chunk index since start (state, chunk_complete)."""
CURRENT_PROMPT: Final = "current_prompt"
SCHEDULED_SHOTS: Final = "scheduled_shots"
SCHEDULED_SCENE_CUTS: Final = "scheduled_scene_cuts"
COMMAND: Final = "command"
REASON: Final = "reason"
CHUNK_INDEX: Final = "chunk_index"
"""Chunk index within its scene (chunk_complete): 0 on the chunk a scene opens on."""
ACTIVE_PROMPT: Final = "active_prompt"
FRAMES_EMITTED: Final = "frames_emitted"
"""Frames emitted since start, the whole session (measured; chunk_complete)."""
FRAME_NUM: Final = "frame_num"
TOTAL_CHUNKS: Final = "total_chunks"

MESSAGE_FIELDS: dict[str, tuple[str, ...]] = {
    STATE: (
        SEED, PAUSED, RUNNING, STARTED, HAS_PROMPT, CURRENT_CHUNK, CURRENT_FRAME, SESSION_CHUNK,
        CURRENT_PROMPT, SCHEDULED_SHOTS, SCHEDULED_SCENE_CUTS,
    ),
    COMMAND_ERROR: (COMMAND, REASON),
    SHOT_SET: (PROMPT,),
    SHOT_SCHEDULED: (PROMPT, AT_SESSION_CHUNK),
    SCENE_CUT_SCHEDULED: (PROMPT, AT_SESSION_CHUNK),
    SCENE_CUT_FIRED: (PROMPT, AT_SESSION_CHUNK),
    CHUNK_COMPLETE: (CHUNK_INDEX, SESSION_CHUNK, ACTIVE_PROMPT, FRAMES_EMITTED),
    GENERATION_STARTED: (FRAME_NUM,),
    GENERATION_PAUSED: (),
    GENERATION_RESUMED: (),
    GENERATION_RESET: (),
    GENERATION_COMPLETE: (TOTAL_CHUNKS,),
}
"""The data fields of each message the model sends."""
MESSAGES = tuple(MESSAGE_FIELDS)

# ---- beat kinds ------------------------------------------------------------------------------
# A storyboard's beats, in the user's words. A `cut` beat is sent as `schedule_scene_cut` and fires
# as the `scene_cut` message: the plan says `cut`, the wire says `scene_cut`, each spelled once here.

OPENER: Final = "opener"
"""The scene's first prompt, sent with `set_shot` before `start`."""
CUT: Final = "cut"
"""A hard cut: a new scene (memory purged, budget reset), sent with `schedule_scene_cut`."""
SHOT: Final = "shot"
"""A soft shot: the prompt changes, the scene goes on, sent with `schedule_shot`."""
BEAT_KINDS = (OPENER, CUT, SHOT)
BEAT_COMMANDS = {OPENER: SET_SHOT, CUT: SCHEDULE_SCENE_CUT, SHOT: SCHEDULE_SHOT}
"""The command each beat kind is sent with."""

WIRE_NAMES = frozenset(
    (VIDEO_TRACK, CONTROL_CHANNEL, *COMMANDS, *MESSAGES, *BEAT_KINDS)
    + tuple(f for fields in (*COMMAND_FIELDS.values(), *MESSAGE_FIELDS.values()) for f in fields)
)
"""Every name above that no module but this one may spell (`data`, the channel, is also the
runtime framing's key and is left out)."""
