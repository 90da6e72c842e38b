"""Benchmark: parse + check + compile against json.loads + pydantic validation of the same Program.

Prints, for storyboards of 100, 1,000, 10,000 (and 20,000) beats, the pipeline time, the baseline time and
their ratio (target: within 10x), then the 1,000 -> 10,000 scaling (target: at most 12x), and the
whole-process time of `llv lint` on a small example against `python -c pass` (target: within 4x).
Run: `make bench` or `.venv/bin/python bench/bench_language.py`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from timing import best_of  # bench/timing.py

from longlive_dsl import compile
from longlive_dsl.program import Program

ROOT = Path(__file__).resolve().parents[1]
WORDS = ("amber light drifts over a quiet harbour while a slow dolly glides past copper lanterns, "
         "35mm lens, teal and ochre palette, soft film grain, gentle mist").split()


def storyboard(beats: int) -> str:
    """`beats` shots: scenes of ten 4-chunk shots each (40 of the 48-chunk budget), dense prompts."""
    lines = ['title "bench"', "seed 1", f'define look = "{" ".join(WORDS[:8])}"']
    for i in range(beats):
        if i % 10 == 0:
            lines.append(f'scene "Scene {i // 10}" for 40')
        prompt = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(22))
        lines.append(f'  shot for 4 "Beat {i}: {prompt}, {{look}}."')
    return "\n".join(lines) + "\n"




def pipeline_vs_baseline() -> dict[int, float]:
    times, baselines = {}, {}
    print(f"{'beats':>7} {'pipeline':>10} {'baseline':>10} {'ratio':>7}")
    for n in (100, 1_000, 10_000, 20_000):
        source = storyboard(n)
        program, diags = compile(source, "bench.llv")
        assert program is not None, [d.message for d in diags if d.is_error]
        as_json = program.model_dump_json()
        repeat = 20 if n <= 1_000 else 5
        pipeline = best_of(lambda source=source: compile(source, "bench.llv"), repeat)
        baseline = best_of(lambda as_json=as_json: Program.model_validate(json.loads(as_json)), repeat)
        times[n], baselines[n] = pipeline, baseline
        print(f"{n:>7} {pipeline * 1e3:>8.1f}ms {baseline * 1e3:>8.1f}ms {pipeline / baseline:>6.1f}x")
    print(f"scaling 1,000 -> 10,000 beats: {times[10_000] / times[1_000]:.1f}x the time for 10x the input "
          f"(the baseline itself: {baselines[10_000] / baselines[1_000]:.1f}x)")
    print(f"scaling 10,000 -> 20,000 beats: {times[20_000] / times[10_000]:.1f}x the time for 2x the input")
    return times


def process_time(argv: list[str], repeat: int = 15) -> float:
    env = {**os.environ, "NO_COLOR": "1"}
    return best_of(lambda: subprocess.run(argv, capture_output=True, env=env, check=False), repeat,
                   clock=time.perf_counter)


def startup() -> None:
    example = str(ROOT / "examples" / "ratatouille.llv")
    llv = [sys.executable, "-m", "longlive_dsl.cli", "lint", example]
    # Warm the parser cache and the page cache, and write the bytecode an installed llv has (a
    # PYTHONDONTWRITEBYTECODE environment would otherwise make every run compile llv's sources).
    writes_bytecode = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(llv, capture_output=True, env=writes_bytecode)
    lint = process_time(llv)
    bare = process_time([sys.executable, "-c", "pass"])
    print(f"llv lint (whole process): {lint * 1e3:.0f}ms; python -c pass: {bare * 1e3:.0f}ms; ratio {lint / bare:.1f}x")


if __name__ == "__main__":
    pipeline_vs_baseline()
    startup()
