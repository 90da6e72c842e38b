"""LongLive-2.0 facts, in one place: the chunk clock, the scene budget and the wire names."""

from fractions import Fraction

MODEL_NAME = "longlive-v2"

FRAMES_PER_CHUNK = 29
"""Frames in one generated chunk (the hosted model's default; the simulator can change it)."""

FPS = 24
"""Frames per second of the output track."""

CHUNK_SECONDS = Fraction(FRAMES_PER_CHUNK, FPS)
"""Length of one chunk in seconds (29/24 ~ 1.2083 s)."""

HALF_FRAME_SECONDS = Fraction(1, 2 * FPS)
"""A seconds value is 'exact' when it lies within half a frame of a whole chunk."""

SCENE_BUDGET_CHUNKS = 48
"""A scene auto-completes after this many chunks; a cut starts a fresh budget."""

SEED_MIN = -(2**31)
SEED_MAX = 2**31 - 1
"""The seed is a signed 32-bit integer."""

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
