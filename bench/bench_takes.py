"""How many real-time takes fit on this machine at once, and the client CPU each take costs.

Starts the cloud double (`llv serve --cloud`) with as many simulated GPUs as the largest level, at
the simulator's default size and real time (`--time-scale 1`), then plays N takes at once for N =
1, 2, … with `llv run --jobs N --cloud` (the batch scheduler, one client process per take). A level
"fits" when every take verifies, receives every frame the plan expects, and ends within the
plan's video time plus a setup allowance. The client CPU of a take is its process's own CPU time
(`os.wait4`; the simulators are separate processes) over its wall time; the ratios are against the
one-take baseline measured in the same run. The simulated GPUs share the machine's cores with the
clients here, unlike on Reactor's cloud, so the fit is a lower bound for cloud takes.

Runs inside a fresh network namespace (the tests' harness; root and `ip` needed). Usage:

    python bench/bench_takes.py [--max 3] [--chunks 4]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

KEY = "rk_bench_takes"
SETUP_ALLOWANCE = 8.0
"""Seconds a take may take beyond its video time (session, signalling, the first frame) and still fit."""

STORY = """title "Bench take"
scene "Harbour" for {chunks}
  shot "Fishing boats leave a misty harbour at dawn, gulls wheeling over the masts, pale gold light, wide lens, slow push-in, muted blue and amber palette"
"""


def level(netns, url: str, story: Path, n: int, workdir: Path, env: dict[str, str]) -> dict:
    """Play n takes at once; how they went."""
    from longlive_dsl import compile_variants, model

    out = workdir / f"level{n}"
    seeds = f"1..{n}" if n > 1 else "1"
    started = time.monotonic()
    done = netns.run([sys.executable, "-m", "longlive_dsl.cli", "run", str(story), "--seed", seeds, "--jobs", str(n),
                      "-o", str(out), "--cloud", "--api-url", url, "--time-scale", "1", "--json"],
                     capture_output=True, text=True, timeout=600, env=env)
    wall = time.monotonic() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"level {n}: llv run exited {done.returncode}\n{done.stderr[-3000:]}")
    takes = json.loads(done.stdout)["takes"]
    [program], _ = compile_variants(story.read_text(), str(story))
    video_seconds = program.frames / model.FPS
    fits = all(t["status"] == "verified" and t["frames"] >= program.frames
               and t["wall_seconds"] <= video_seconds + SETUP_ALLOWANCE for t in takes)
    cpu = [t["cpu_seconds"] / t["wall_seconds"] for t in takes if t["wall_seconds"] > 0]
    return {"takes": n, "fits": fits, "wall": wall, "video_seconds": video_seconds,
            "cpu_per_take": sum(cpu) / len(cpu), "slowest": max(t["wall_seconds"] for t in takes),
            "frames": [t["frames"] for t in takes], "planned_frames": program.frames,
            "statuses": sorted({t["status"] for t in takes})}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--max", type=int, default=3, help="the most takes at once to try (default 3)")
    ap.add_argument("--chunks", type=int, default=4, help="chunks per take (default 4: about 8 s of video)")
    args = ap.parse_args()

    from netns import NetNamespace

    from longlive_dsl.sim.frames import DEFAULT_SIZE
    from longlive_dsl.sim.server import Simulator

    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} before the run")
    with tempfile.TemporaryDirectory() as tmp, NetNamespace() as netns:
        work = Path(tmp)
        story = work / "take.llv"
        story.write_text(STORY.format(chunks=args.chunks))
        env = {**os.environ, "REACTOR_API_KEY": KEY}
        sim = Simulator(0, cloud=True, api_keys=[KEY], capacity=args.max, queue=0, time_scale=1.0,
                        netns=netns.name, log=work / "sim.log")
        with sim:
            rows = []
            for n in range(1, args.max + 1):
                row = level(netns, sim.base_url, story, n, work, env)
                rows.append(row)
                base = rows[0]["cpu_per_take"]
                print(f"{n} take(s) at once: {'fits' if row['fits'] else 'does NOT fit'}; slowest take "
                      f"{row['slowest']:.1f} s for {row['video_seconds']:.1f} s of video; frames {row['frames']} "
                      f"of {row['planned_frames']}; client CPU per take {100 * row['cpu_per_take']:.0f}% of a core "
                      f"({row['cpu_per_take'] / base:.2f}x the one-take baseline); {', '.join(row['statuses'])}")
                if not row["fits"]:
                    break
    fitting = [r["takes"] for r in rows if r["fits"]]
    width, height = DEFAULT_SIZE
    print(f"result: {max(fitting) if fitting else 0} real-time take(s) at {width}x{height} fit at once "
          f"(tried up to {rows[-1]['takes']}); client CPU per take {100 * rows[0]['cpu_per_take']:.0f}% of a core alone")


if __name__ == "__main__":
    main()
