"""Benchmark of `llv direct`: keystroke-to-command latency and the director's CPU while streaming.

In a pseudo-terminal (tests/direct_terminal.py) against an already running simulator at its default size, real time:
- keystroke → command on the wire: Ctrl-P (pause / resume) pressed `--keys` times; the time from the
  key leaving the terminal to the `send` record of `pause`/`resume` in the director's trace (the trace's
  `mono` stamps share the system's monotonic clock); p50 and p95 (target: p95 under 50 ms);
- the director's CPU (% of one core) over a steady window of receiving video and drawing the screen,
  against `llv run`'s CPU over the same window on the same simulator (the baseline, measured in the
  same run), as a ratio (target: under 15 % of a core).

WebRTC needs a non-loopback interface: run as root and the benchmark makes its own network namespace
(the tests' harness), or anywhere with one. Usage:

    python bench/bench_direct.py [--keys 40] [--window 10] [--size 640x352]
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

STORY = ('seed 1\nscene\n  shot "A red fox trots through fresh snow at dawn, low sun, 35mm lens, photoreal, slow dolly"\n'
         'scene at 40\n  shot "A lighthouse on a cliff in a violent storm at night, spray lit by the beam"\n')


def sends(trace: Path, types: set[str]) -> list[float]:
    out = []
    for line in trace.read_text().splitlines():
        try:
            r = json.loads(line)
        except json.JSONDecodeError:
            continue
        if r.get("kind") == "send" and (r["frame"].get("data") or {}).get("type") in types:
            out.append(r["mono"])
    return out


def llv(*args: str) -> list[str]:
    return [sys.executable, "-m", "longlive_dsl.cli", *args]


def measure_cpu(pid: int, window: float) -> float:
    c0, w0 = cpu_seconds(pid), time.monotonic()
    time.sleep(window)
    return 100 * (cpu_seconds(pid) - c0) / (time.monotonic() - w0)


def director(url: str, work: Path, keys: int, window: float) -> dict[str, object]:
    from direct_terminal import Terminal

    trace = work / "direct.jsonl"
    term = Terminal(llv("direct", str(work / "story.llv"), "--server", url, "--trace", str(trace)))
    try:
        term.wait_for(r"ready .* · playing · session chunk [2-9]", 60)
        term.pump(1.0)  # past the start-up transient
        pid = term.pid
        c0, w0 = cpu_seconds(pid), time.monotonic()
        term.pump(window)  # the screen must be read for the app to keep drawing
        cpu = 100 * (cpu_seconds(pid) - c0) / (time.monotonic() - w0)
        pressed = []
        for _ in range(keys):
            pressed.append(time.monotonic())
            term.send("\x10")  # Ctrl-P
            term.pump(0.25)
        term.pump(0.5)
        term.send("\x11")
        term.finish(60)
    finally:
        term.kill()
    sent = sends(trace, {"pause", "resume"})
    latencies = [1000 * (s - p) for p, s in zip(pressed, sent, strict=False)]
    return {"cpu": cpu, "latencies": latencies, "sent": len(sent)}


def baseline_run(url: str, work: Path, window: float) -> float:
    trace = work / "run.jsonl"
    proc = subprocess.Popen(llv("run", str(work / "story.llv"), "--server", url, "--trace", str(trace), "--plain"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not trace.exists() or '"first_frame"' not in trace.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"llv run never got a frame (exit {proc.poll()})")
            time.sleep(0.05)
        time.sleep(1.0)
        return measure_cpu(proc.pid, window)
    finally:
        proc.send_signal(2)
        proc.wait(30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keys", type=int, default=40, help="Ctrl-P presses to time")
    ap.add_argument("--window", type=float, default=10.0, help="seconds of steady streaming for the CPU figure")
    ap.add_argument("--size", default=None, help="frame size WxH (default: the simulator's default)")
    args = ap.parse_args()

    from longlive_dsl.sim.frames import DEFAULT_SIZE, parse_size
    from longlive_dsl.sim.server import Simulator

    size = parse_size(args.size) if args.size else DEFAULT_SIZE
    with tempfile.TemporaryDirectory(prefix="llv-bench-direct-") as tmp:
        work = Path(tmp)
        (work / "story.llv").write_text(STORY, encoding="utf-8")
        with Simulator(0, size=size) as sim:
            base = baseline_run(sim.base_url, work, args.window)
        with Simulator(0, size=size) as sim:
            d = director(sim.base_url, work, args.keys, args.window)
    lat = sorted(d["latencies"])  # type: ignore[arg-type]
    if not lat:
        raise SystemExit("no command reached the wire")
    p95 = lat[min(len(lat) - 1, int(round(0.95 * (len(lat) - 1))))]
    print(f"llv direct on the simulator: {size[0]}x{size[1]} at 24 fps, real time, {os.cpu_count()} cores")
    print(f"  keystroke -> command   {len(lat)} keys ({d['sent']} commands sent): p50 {statistics.median(lat):.1f} ms, "
          f"p95 {p95:.1f} ms, max {lat[-1]:.1f} ms (target p95 < 50 ms: {'ok' if p95 < 50 else 'MISSED'})")
    cpu = float(d["cpu"])  # type: ignore[arg-type]
    print(f"  director CPU           {cpu:.1f} % of one core over {args.window:g} s "
          f"(target < 15 %: {'ok' if cpu < 15 else 'MISSED'})")
    print(f"  baseline: llv run CPU  {base:.1f} % of one core; director / run = {cpu / base:.2f}x")


if __name__ == "__main__":
    if os.environ.get("LLV_BENCH_IN_NETNS") is None and os.geteuid() == 0:
        from netns import NetNamespace  # a namespace of our own: WebRTC needs a non-loopback interface

        with NetNamespace() as ns:
            env = {**os.environ, "LLV_BENCH_IN_NETNS": "1"}
            sys.exit(ns.run([sys.executable, *sys.argv], env=env).returncode)
    main()
