"""Benchmark of the served simulator (`llv serve`): start-up, CPU per streamed second, real time,
and how far the test mode's time compression goes on this machine.

    python bench/bench_simulator.py            # full run, ~1.5 min
    python bench/bench_simulator.py --window 5 --scales 2,4,8

What it does: starts the simulator (reactor-runtime + LongLiveSim) with
:class:`longlive_dsl.sim.server.Simulator`, times spawn -> ``/health`` available, then connects the
official client (``reactor-sdk``, local mode) from a subprocess, starts a long opener and measures
over a steady window: frames received per second, how fast the stamped frame index advances
(the playout rate), the runtime process's CPU (``/proc/<pid>/stat``; % of one core) and the
client's. CPU per streamed second = server CPU seconds / seconds of video at time scale 1.

WebRTC needs a non-loopback address: as root with iproute2 everything runs inside a private
network namespace (``tests/netns.py``); otherwise on the host's own interfaces.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from timing import cpu_seconds  # bench/timing.py

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- client (subprocess)


async def _client(url: str, warmup: float, window: float) -> dict:
    import asyncio

    import numpy as np
    from reactor_sdk import Reactor

    from longlive_dsl.sim.frames import read_stamp

    frames: list[tuple[float, int | None]] = []
    fpc = int(os.environ.get("BENCH_FPC", "29"))

    r = Reactor(model_name="longlive-v2", local=True, api_url=url)
    track = r.track("main_video")

    @track.on_raw_frame
    def on_frame(data, width, height, *rest):
        now = time.monotonic()
        if len(frames) % 4 == 0:  # decode one stamp in four: enough for the index slope
            arr = np.frombuffer(bytes(data), dtype=np.uint8).reshape(height, width, 4)
            s = read_stamp(arr[..., :3])
            frames.append((now, None if s is None else s.session_chunk * fpc + s.frame_in_chunk))
        else:
            frames.append((now, None))

    async with r:
        await r.connect()
        await r.send_command("set_shot", {"prompt": "benchmark: a long steady opener over the sea"})
        await r.send_command("start", {})
        while not frames:
            await asyncio.sleep(0.01)
        await asyncio.sleep(warmup)
        print("window_start", flush=True)
        t0, n0, c0 = time.monotonic(), len(frames), time.process_time()
        await asyncio.sleep(window)
        t1, n1, c1 = time.monotonic(), len(frames), time.process_time()
        print("window_end", flush=True)
    inside = [(t, i) for t, i in frames[n0:n1] if i is not None]
    slope = (inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0]) if len(inside) > 1 else 0.0
    return {"fps_received": (n1 - n0) / (t1 - t0), "index_rate": slope,
            "client_cpu_pct": 100 * (c1 - c0) / (t1 - t0), "seconds": t1 - t0}


# --------------------------------------------------------------------------- the bench


def runtime_pid(sim) -> int:
    """The pid of the python process serving the runtime (``ip netns exec`` execs in place)."""
    return sim.procs[0].pid


def measure_start(runs: int, netns: str | None) -> list[float]:
    from longlive_dsl.sim.server import Simulator

    times = []
    for _ in range(runs):
        sim = Simulator(0, netns=netns)
        t0 = time.monotonic()
        sim.start()
        times.append(time.monotonic() - t0)
        sim.stop()
    return times


def measure_stream(size, time_scale, window, netns, fps=24, fpc=29, warmup=1.5) -> dict:
    from longlive_dsl.sim.server import Simulator

    sim = Simulator(0, size=size, fps=fps, frames_per_chunk=fpc, scene_budget=100000,
                    time_scale=time_scale, netns=netns, log_level="WARNING")
    with sim:
        argv = [sys.executable, __file__, "--client", sim.base_url, str(warmup), str(window)]
        if netns:
            argv = ["ip", "netns", "exec", netns, *argv]
        env = {**os.environ, "BENCH_FPC": str(fpc)}
        client = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        pid = runtime_pid(sim)
        marks = {}
        for line in client.stdout:
            line = line.strip()
            if line in ("window_start", "window_end"):
                marks[line] = (time.monotonic(), cpu_seconds(pid))
            elif line.startswith("{"):
                result = json.loads(line)
        client.wait(timeout=60)
        if client.returncode != 0 or len(marks) != 2:
            raise RuntimeError(f"client failed: {client.stderr.read()[-2000:]}")
    (a, ca), (b, cb) = marks["window_start"], marks["window_end"]
    server_pct = 100 * (cb - ca) / (b - a)
    target = fps * time_scale
    return {
        "size": f"{size[0]}x{size[1]}", "time_scale": time_scale, "target_fps": target,
        "fps_received": round(result["fps_received"], 2), "playout_rate": round(result["index_rate"], 2),
        "server_cpu_pct": round(server_pct, 1), "client_cpu_pct": round(result["client_cpu_pct"], 1),
        # CPU seconds the server spends per second of video (video seconds at time scale 1).
        "server_cpu_s_per_video_s": round((cb - ca) / ((b - a) * time_scale), 3),
        "real_time": result["index_rate"] >= 0.97 * target and result["fps_received"] >= 0.95 * target,
    }


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        import asyncio

        url, warmup, window = sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
        print(json.dumps(asyncio.run(_client(url, warmup, window))), flush=True)
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--window", type=float, default=8.0, help="steady window per measurement, seconds")
    parser.add_argument("--starts", type=int, default=5, help="server start-ups to time")
    parser.add_argument("--scales", default="2,4,6,8,12,16", help="time scales to try at the test size")
    parser.add_argument("--test-size", default="320x192", help="frame size of the time-compression trials")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    from netns import NetNamespace, unavailable_reason

    from longlive_dsl.sim.frames import parse_size

    reason = unavailable_reason()
    ns = None if reason else NetNamespace().open()
    where = f"network namespace {ns.name} ({ns.address})" if ns else f"host network ({reason})"
    report: dict = {"machine": {"cores": os.cpu_count(), "where": where}}
    try:
        name = ns.name if ns else None
        starts = measure_start(args.starts, name)
        report["start_to_available_s"] = {"median": round(statistics.median(starts), 3),
                                          "min": round(min(starts), 3), "max": round(max(starts), 3)}
        report["default_640x352"] = measure_stream((640, 352), 1.0, args.window, name)
        report["hosted_1280x704"] = measure_stream((1280, 704), 1.0, args.window, name)
        trials = []
        test_size = parse_size(args.test_size)
        for scale in (float(s) for s in args.scales.split(",")):
            trial = measure_stream(test_size, scale, min(args.window, 5.0), name)
            trials.append(trial)
            if not trial["real_time"]:
                break
        report["time_compression_trials"] = trials
        good = [t["time_scale"] for t in trials if t["real_time"]]
        report["max_time_scale_kept"] = max(good) if good else None
    finally:
        if ns:
            ns.close()
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    s = report["start_to_available_s"]
    print(f"simulator benchmark — {report['machine']['cores']} cores, {where}")
    print(f"start -> /health available: median {s['median']} s (min {s['min']}, max {s['max']}, {args.starts} runs)")
    for key in ("default_640x352", "hosted_1280x704"):
        m = report[key]
        print(f"{m['size']} @ {m['target_fps']:g} fps: received {m['fps_received']} fps, playout {m['playout_rate']} fps,"
              f" server {m['server_cpu_pct']}% of a core = {m['server_cpu_s_per_video_s']} CPU-s per streamed s,"
              f" client {m['client_cpu_pct']}%; keeps real time: {'yes' if m['real_time'] else 'NO'}")
    for t in report["time_compression_trials"]:
        print(f"  test mode {t['size']} x{t['time_scale']:g} (target {t['target_fps']:g} fps): playout "
              f"{t['playout_rate']} fps, received {t['fps_received']} fps, server {t['server_cpu_pct']}%:"
              f" {'kept' if t['real_time'] else 'NOT kept'}")
    print(f"time compression reached: x{report['max_time_scale_kept']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
