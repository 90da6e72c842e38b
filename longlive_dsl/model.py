"""LongLive-2.0 facts, in one place: the chunk clock, the scene budget and the wire names."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

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

    def scene_frames(self, chunks: int) -> int:
        """Frames in the first `chunks` chunks of a scene."""
        if chunks <= 0:
            return 0
        return self.first_chunk_frames + (chunks - 1) * self.later_chunk_frames

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
        first = self.first_chunk_frames if first_in_scene else self.later_chunk_frames
        later = self.later_chunk_frames
        # n chunks hold first + (n - 1) * later frames; solve for the nearest n >= 1, compare with 0.
        n = max(1, math.floor((frames - first) / later + Fraction(1, 2)) + 1)
        held = first + (n - 1) * later
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

VIDEO_TRACK = "main_video"
DATA_CHANNEL = "data"
CONTROL_CHANNEL = "control"

# Commands, client -> model.
SET_SEED = "set_seed"
SET_SHOT = "set_shot"
SCENE_CUT = "scene_cut"
SCHEDULE_SHOT = "schedule_shot"
SCHEDULE_SCENE_CUT = "schedule_scene_cut"
START = "start"
PAUSE = "pause"
RESUME = "resume"
RESET = "reset"
COMMANDS = (SET_SEED, SET_SHOT, SCENE_CUT, SCHEDULE_SHOT, SCHEDULE_SCENE_CUT, START, PAUSE, RESUME, RESET)

AT_SESSION_CHUNK = "at_session_chunk"

# Messages, model -> client.
STATE = "state"
COMMAND_ERROR = "command_error"
SHOT_SET = "shot_set"
SHOT_SCHEDULED = "shot_scheduled"
SCENE_CUT_SCHEDULED = "scene_cut_scheduled"
SCENE_CUT_FIRED = "scene_cut"
CHUNK_COMPLETE = "chunk_complete"
GENERATION_STARTED = "generation_started"
GENERATION_PAUSED = "generation_paused"
GENERATION_RESUMED = "generation_resumed"
GENERATION_RESET = "generation_reset"
GENERATION_COMPLETE = "generation_complete"
