"""Benchmark of `llv preview`: how many times faster than real time the animatic renders.

    python bench/bench_preview.py                  # a 10-minute storyboard at 640x352 and 1280x704
    python bench/bench_preview.py --minutes 2 --sizes 640x352

For each size it times the whole preview (the engine, the simulator's frame drawing, H.264
encoding into an MP4) and, as the baseline measured in the same run, the engine and the frame
drawing alone (no encoding), and prints the multiple of real time of each. The target: a 10-minute
storyboard previews at 640x352 in under 30 s on 2 cores (20x real time or better).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from longlive_dsl import compile, model  # noqa: E402
from longlive_dsl.review.animatic import _load, render_preview  # noqa: E402
from longlive_dsl.sim.engine import Engine  # noqa: E402
from longlive_dsl.sim.frames import FrameRenderer  # noqa: E402

TARGET_SECONDS = 30.0
SCENE_CHUNKS = 45


def storyboard(minutes: float) -> str:
    """Scenes of 45 chunks, each with a soft shot halfway, enough of them for `minutes` of video."""
    clock = model.DEFAULT_CLOCK
    scene_seconds = clock.scene_frames(SCENE_CHUNKS) / model.FPS
    scenes = max(1, round(minutes * 60 / scene_seconds))
    lines = ['title "Benchmark: a long take"']
    for i in range(scenes):
        lines += [f'scene "Scene {i + 1}" for {SCENE_CHUNKS}',
                  f'  shot "Scene {i + 1}: a slow aerial drift over a river delta at golden hour, braided channels '
                  f'catching the light, a long lens, muted teal and ochre palette, light haze."',
                  f'  shot at {i * SCENE_CHUNKS + SCENE_CHUNKS // 2} "Scene {i + 1}, later: the camera tilts down to a '
                  f'fishing boat crossing a channel, its wake spreading in silver lines, same palette."']
    return "\n".join(lines) + "\n"


def draw_only(program, size: tuple[int, int]) -> tuple[int, float]:
    """The baseline: the engine and the frame drawing, no encoding. (frames, seconds)."""
    clock = model.DEFAULT_CLOCK
    engine = Engine(frames_per_chunk=clock)
    _load(engine, program)
    renderer = FrameRenderer(*size, clock.first_chunk_frames)
    stop = program.end if program.end is not None else program.stops_at
    started = time.perf_counter()
    frames = chunks = 0
    while chunks < stop:
        info, messages = engine.step_frame()
        if info is None:
            break
        renderer.render(info)
        frames += 1
        chunks += sum(1 for m in messages if m.type == model.CHUNK_COMPLETE)
    return frames, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the storyboard (default 10)")
    parser.add_argument("--sizes", default="640x352,1280x704", help="frame sizes, comma-separated")
    args = parser.parse_args()
    program, diags = compile(storyboard(args.minutes), "bench.llv")
    assert program is not None, [d.message for d in diags if d.is_error]
    print(f"cores: {os.cpu_count()}  storyboard: {len(program.scenes)} scenes, {program.stops_at} chunks")
    failed = False
    with tempfile.TemporaryDirectory() as folder:
        for text in args.sizes.split(","):
            size = tuple(int(v) for v in text.split("x"))
            frames, drawing = draw_only(program, size)
            done = render_preview(program, os.path.join(folder, "p.mp4"), size=size)
            video = done.seconds
            print(f"{text}: {video:.0f} s of video ({done.frames_written} frames) previewed in {done.elapsed:.1f} s = "
                  f"{done.real_time_multiple:.1f}x real time; drawing alone (baseline) {drawing:.1f} s = "
                  f"{video / drawing:.1f}x; encoding costs {done.elapsed / drawing:.2f}x the drawing")
            if text == "640x352" and args.minutes >= 10:
                ok = done.elapsed < TARGET_SECONDS
                failed |= not ok
                print(f"  target: 10 minutes at 640x352 in under {TARGET_SECONDS:.0f} s: {'met' if ok else 'MISSED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
