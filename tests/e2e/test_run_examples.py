"""End to end: every example storyboard plays on the simulator with `llv run`, inside a network namespace.

`llv run` starts its own simulator (the default when no key is set), time-compressed: fewer
frames per chunk and a faster playout, the chunk clock unchanged. Each run must exit 0, `llv verify`
must pass on its trace, and the recorded MP4 must decode with frame stamps that show, chunk by
chunk, the scene the plan says.
"""

from __future__ import annotations

import os
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
    end = program.stops_at
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


# ---- the chunk clock, end to end: held-out-like storyboards with seconds, cuts and `end` ---------------

HELD_OUT = {
    "harbour": '''title "Harbour at dawn"
seed 5
scene "Fog" for 5s
  shot "A fishing harbour wrapped in thick morning fog, masts fading into grey, a slow dolly along the quay, muted teal palette, 35mm lens."
  shot at 0:03 "The fog thins and a red trawler emerges at its mooring, gulls circling the wheelhouse, the dolly continues, soft backlight."
scene "Gulls"
  shot for 3s "Close on a gull landing on a weathered bollard, feathers ruffled by the wind, shallow depth of field, cold dawn light, 85mm lens."
  shot for 2s "The gull tilts its head toward the camera and cries, steam rising from the water behind it, handheld, pale gold rim light."
end at 0:12
''',
    "w606": '''scene "A"
  shot "A lone lighthouse keeper climbs a spiral iron staircase by lantern light, the camera rising with her, long shadows on whitewashed stone, warm amber palette."
end at 60
''',
}


def _chunk_lengths(stamps) -> dict[int, tuple[int, int]]:
    """session chunk -> (chunk_in_scene, frames in it) from decoded stamps: the highest frame_in_chunk + 1,
    which a frame lost in transit does not change unless it was the chunk's last."""
    seen: dict[int, tuple[int, int]] = {}
    for s in stamps:
        in_scene, n = seen.get(s.session_chunk, (s.chunk_in_scene, 0))
        seen[s.session_chunk] = (in_scene, max(n, s.frame_in_chunk + 1))
    return seen


@pytest.mark.parametrize("name, clock", [("harbour", "measured"), ("harbour", "docs"), ("w606", "measured")])
def test_held_out_storyboard_plans_runs_verifies_and_records_the_clocks_frames(name, clock, netns, tmp_path,
                                                                                require_runtime):
    from longlive_dsl import compile, model
    story = tmp_path / f"{name}.llv"
    story.write_text(HELD_OUT[name], encoding="utf-8")
    program, diags = compile(HELD_OUT[name], str(story), clock=clock)
    assert program is not None, [d.message for d in diags]
    profile = model.CLOCKS[clock]
    planned = subprocess.run(llv("plan", "--clock", clock, str(story)), capture_output=True, text=True, timeout=60,
                             env={**os.environ, "COLUMNS": "200"})
    assert f"end: chunk {program.stops_at} " in planned.stdout and f"({program.frames} frames" in planned.stdout

    video, trace = tmp_path / "run.mp4", tmp_path / "run.jsonl"
    time_scale = "4" if program.stops_at > 20 else "2"  # frames lost in transit grow with the speed-up
    done = netns.run(
        llv("run", str(story), "--clock", clock, "--time-scale", time_scale, "--size", SIZE,
            "--video", str(video), "--trace", str(trace), "--plain"),
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    verified = subprocess.run(llv("verify", "--clock", clock, str(trace), str(story)),
                              capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0, verified.stdout
    assert f"the run covered {program.stops_at} of {program.stops_at} planned chunks" in verified.stdout
    assert f"matches the plan's {clock} clock" in verified.stdout

    stamps = [s for s in decode_stamps(video) if s is not None]
    assert len(stamps) <= program.frames
    # The client cuts the recording by counting frames, so a frame lost in transit lets one of the next
    # chunk in: only the planned chunks are counted.
    lengths = _chunk_lengths([s for s in stamps if s.session_chunk < program.stops_at])
    assert set(lengths) == set(range(program.stops_at))
    whole = [c for c, (in_scene, n) in lengths.items() if n == profile.chunk_frames(in_scene)]
    assert all(n <= profile.chunk_frames(in_scene) for in_scene, n in lengths.values()), lengths
    assert len(whole) >= 0.8 * len(lengths), lengths  # a chunk's last frame may be lost in transit
    cuts = {b.chunk for sc in program.scenes for b in sc.beats if b.kind == "cut"}
    assert all(lengths[c][0] == 0 for c in cuts), "a cut opens a scene's first (shorter) chunk"
