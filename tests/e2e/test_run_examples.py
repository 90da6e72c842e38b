"""End to end: every example storyboard plays on the simulator with `llv run`, inside a network namespace.

`llv run` starts its own simulator (the default when no key is set), time-compressed: fewer
frames per chunk and a faster playout, the chunk clock unchanged. Each run must exit 0, `llv verify`
must pass on its trace, and the recorded MP4 must decode with frame stamps that show, chunk by
chunk, the scene the plan says.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from longlive_dsl import compile_file

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.llv"))
FPC = 6
TIME_SCALE = 4.0
SIZE = "320x176"


def llv(*args: str) -> list[str]:
    return [sys.executable, "-m", "longlive_dsl.cli", *args]


def decode_stamps(video: Path) -> list:
    import av

    from longlive_dsl.sim.frames import read_stamp

    with av.open(str(video)) as container:
        return [read_stamp(frame.to_ndarray(format="rgb24")) for frame in container.decode(video=0)]


def planned_scene(program, session_chunk: int) -> int:
    """The 0-based scene number the plan puts on `session_chunk` (the stamp counts scenes from 0)."""
    number = 0
    for i, scene in enumerate(sorted(program.scenes, key=lambda s: s.start)):
        if scene.start <= session_chunk:
            number = i
    return number


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_verifies_and_records_the_planned_scenes(example, netns, tmp_path, require_runtime):
    program, _ = compile_file(str(example))
    assert program is not None
    video, trace = tmp_path / "run.mp4", tmp_path / "run.jsonl"
    done = netns.run(
        llv("run", str(example), "--time-scale", str(TIME_SCALE), "--frames-per-chunk", str(FPC), "--size", SIZE,
            "--video", str(video), "--trace", str(trace), "--plain"),
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "reached the end of the storyboard" in done.stderr

    verified = subprocess.run(llv("verify", str(trace), str(example)), capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0, verified.stdout
    assert "OK: all" in verified.stdout

    stamps = decode_stamps(video)
    end = program.end if program.end is not None else program.stops_at
    assert len(stamps) >= 0.95 * end * FPC  # a compressed playout may drop the odd frame, no more
    unreadable = sum(1 for s in stamps if s is None)
    assert unreadable <= 0.03 * len(stamps), f"{unreadable} of {len(stamps)} stamps unreadable"  # VP8+H.264 may blur a few
    stamps = [s for s in stamps if s is not None]
    keys = [(s.session_chunk, s.frame_in_chunk) for s in stamps]
    assert keys == sorted(keys), "frames are recorded in order"
    seen = {s.session_chunk for s in stamps}
    assert set(range(end)) <= seen, f"missing chunks: {sorted(set(range(end)) - seen)}"
    for s in stamps:
        if s.session_chunk < end:
            assert s.scene_number == planned_scene(program, s.session_chunk), s
