"""Benchmark of the `llv run` client on the simulator (real time, the simulator's default size).

Measures, over a few runs of `llv run --server URL` against an already running simulator:
- process start → `ready` (HTTP session, WebRTC offer/answer, both channels open);
- process start → first video frame;
- `ready` → every setup command acknowledged (set_seed, set_shot, schedule_*);
- client CPU (% of one core) while receiving and recording to MP4, over a steady window.

Times come from the run's own trace (its `mono` stamps share the system's monotonic clock), CPU
from /proc/<pid>/stat. Needs a non-loopback interface for ICE (any ordinary host has one; inside
a bare network namespace use the tests' netns harness). Usage:

    python bench/bench_runtime.py [--runs 3] [--window 10] [--size 640x352]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import cpu_seconds  # bench/timing.py

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))



def marks(trace: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    if not trace.exists():
        return out
    for line in trace.read_text().splitlines():
        try:
            r = json.loads(line)
        except json.JSONDecodeError:
            continue
        if r.get("kind") == "status" and r.get("status") == "ready":
            out.setdefault("ready", r["mono"])
        elif r.get("kind") == "mark":
            out.setdefault(r["what"], r["mono"])
    return out


def one_run(url: str, program: Path, workdir: Path, window: float, n: int) -> dict[str, float]:
    trace, video = workdir / f"bench{n}.jsonl", workdir / f"bench{n}.mp4"
    argv = [sys.executable, "-m", "longlive_dsl.cli", "run", str(program), "--server", url,
            "--trace", str(trace), "--video", str(video), "--plain"]
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = t0 + 30
        while "first_frame" not in marks(trace):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"run {n} never got a frame (exit {proc.poll()})")
            time.sleep(0.01)
        time.sleep(1.0)  # past the start-up transient
        c0, w0 = cpu_seconds(proc.pid), time.monotonic()
        time.sleep(window)
        c1, w1 = cpu_seconds(proc.pid), time.monotonic()
    finally:
        proc.send_signal(2)  # Ctrl-C: the run stops, closes its video and trace
        proc.wait(30)
    m = marks(trace)
    return {
        "start_to_ready_s": m["ready"] - t0,
        "start_to_first_frame_s": m["first_frame"] - t0,
        "ready_to_setup_acked_ms": 1000 * (m["setup_acked"] - m["ready"]),
        "client_cpu_pct": 100 * (c1 - c0) / (w1 - w0),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--window", type=float, default=10.0, help="seconds of steady receiving+recording per run")
    ap.add_argument("--size", default=None, help="frame size WxH (default: the simulator's default)")
    args = ap.parse_args()

    from runtime.programs import make_program, write_source

    from longlive_dsl.sim.frames import DEFAULT_SIZE, parse_size
    from longlive_dsl.sim.server import Simulator

    size = parse_size(args.size) if args.size else DEFAULT_SIZE
    beats = ((0, "opener", "a red fox trots through fresh snow at dawn, 35mm, photoreal"),
             (6, "shot", "the fox stops and looks back at the camera"),
             (20, "cut", "a lighthouse on a cliff in a violent storm at night"),
             (30, "shot", "a wave breaks over the lighthouse, spray lit by the beam"))
    with tempfile.TemporaryDirectory(prefix="llv-bench-") as tmp:
        work = Path(tmp)
        src = write_source(work / "bench.llv", beats)
        program = work / "bench.program.json"
        program.write_text(make_program(beats, end=40, file=src).model_dump_json())
        results = []
        with Simulator(0, size=size) as sim:
            for n in range(args.runs):
                results.append(one_run(sim.base_url, program, work, args.window, n))
    print(f"llv run on the simulator: {size[0]}x{size[1]} at 24 fps, real time, {args.runs} runs, "
          f"{args.window:g} s CPU window, {os.cpu_count()} cores")
    for key, unit in (("start_to_ready_s", "s"), ("start_to_first_frame_s", "s"),
                      ("ready_to_setup_acked_ms", "ms"), ("client_cpu_pct", "% of one core")):
        values = [r[key] for r in results]
        print(f"  {key:<26} median {statistics.median(values):8.3f} {unit:<15} "
              f"(min {min(values):.3f}, max {max(values):.3f})")


if __name__ == "__main__":
    main()
