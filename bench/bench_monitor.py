"""Benchmark of `llv run --monitor`: what watching costs the client, and how far the page lags.

Three takes of the same storyboard on the simulator (real time, 640x352 at 24 fps), each played by
`llv run --server URL` and recording to MP4: without the monitor (the baseline), with the monitor
and one Chromium tab watching, and with three tabs. For each, the client process's CPU (% of one
core, from /proc/<pid>/stat) over a steady window; the ratios are against the baseline of the same
run. For the watched takes, glass-to-glass latency: from the moment the client received a frame
(the time the monitor stamps in each frame's header) to the moment the page drew it on its canvas
(`Date.now()` in the page; both clocks are this machine's wall clock). Target: median under 300 ms.

Runs inside a network namespace made for it (root and iproute2; WebRTC needs a non-loopback
address) with Debian's headless Chromium. Usage:

    python bench/bench_monitor.py [--window 6] [--size 640x352]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import cpu_seconds  # bench/timing.py

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

STORYBOARD = '''title "Bench"
seed 7
scene "Fox"
  shot "a red fox trots through fresh snow at dawn, 35mm, photoreal"
  shot at 6 "the fox stops and looks back at the camera"
scene "Storm" at 20
  shot "a lighthouse on a cliff in a violent storm at night"
end at 60
'''
URL = re.compile(r"monitor: (http://127\.0\.0\.1:\d+/)")


def wait_for(text: re.Pattern[str], path: Path, proc: subprocess.Popen, timeout: float = 60) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = text.search(path.read_text()) if path.exists() else None
        if found:
            return found
        if proc.poll() is not None:
            raise RuntimeError(f"llv run ended early:\n{path.read_text()[-2000:]}")
        time.sleep(0.02)
    raise RuntimeError(f"{text.pattern!r} not seen within {timeout} s")


def one_take(ns, chromium: str, url: str, story: Path, work: Path, viewers: int, window: float) -> dict[str, float]:
    from browser import Browser

    name = f"v{viewers}"
    err, trace = work / f"{name}.err", work / f"{name}.jsonl"
    argv = [sys.executable, "-m", "longlive_dsl.cli", "run", str(story), "--server", url, "--trace", str(trace),
            "--video", str(work / f"{name}.mp4"), "--plain"]
    if viewers:
        argv += ["--monitor", "--no-open"]
    with open(err, "w") as stderr:
        proc = ns.popen(argv, stdout=subprocess.DEVNULL, stderr=stderr)
    browser = None
    try:
        pages = []
        if viewers:
            page_url = wait_for(URL, err, proc).group(1)
            browser = Browser(chromium, profile=work / f"profile-{name}", wrap=ns.argv).start()
            pages = [browser.open(page_url) for _ in range(viewers)]
        wait_for(re.compile(r"chunk [1-9]"), err, proc)  # frames are flowing
        for page in pages:
            page.wait_for("window.llv && llv.frames > 0", timeout=30)
        time.sleep(1.0)  # past the start-up transient
        c0, w0 = cpu_seconds(proc.pid), time.monotonic()
        start_ms = time.time() * 1000
        time.sleep(window)
        c1, w1 = cpu_seconds(proc.pid), time.monotonic()
        latencies: list[float] = []
        shown = 0
        counts = pages[0].evaluate("llv.state.monitor") if pages else {}
        for page in pages:
            got = page.evaluate(f"llv.latencies.filter(l => l.received >= {start_ms})")
            latencies += [g["shown"] - g["received"] for g in got]
            shown = max(shown, len(got))
    finally:
        if browser is not None:
            browser.close()
        proc.send_signal(2)  # Ctrl-C: the run stops, closes its video and trace
        proc.wait(30)
    out = {"cpu_pct": 100 * (c1 - c0) / (w1 - w0)} | counts
    if latencies:
        latencies.sort()
        out |= {"latency_median_ms": statistics.median(latencies),
                "latency_p95_ms": latencies[int(0.95 * (len(latencies) - 1))],
                "shown_fps": shown / window}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--window", type=float, default=6.0, help="seconds of steady playing per take")
    ap.add_argument("--size", default="640x352", help="frame size WxH")
    args = ap.parse_args()

    from browser import find_chromium
    from netns import NetNamespace, unavailable_reason

    from longlive_dsl.sim.frames import parse_size
    from longlive_dsl.sim.server import Simulator

    chromium = find_chromium()
    reason = unavailable_reason()
    if chromium is None or reason:
        print(f"bench_monitor: skipped: {reason or 'Chromium is not installed (apt-get install chromium)'}")
        return 0
    size = parse_size(args.size)
    with tempfile.TemporaryDirectory(prefix="llv-bench-monitor-") as tmp, NetNamespace() as ns:
        work = Path(tmp)
        story = work / "bench.llv"
        story.write_text(STORYBOARD)
        with Simulator(0, size=size, netns=ns.name) as sim:
            results = {n: one_take(ns, chromium, sim.base_url, story, work, n, args.window) for n in (0, 1, 3)}
    base = results[0]["cpu_pct"]
    print(f"llv run --monitor on the simulator: {size[0]}x{size[1]} at 24 fps, real time, recording to MP4, "
          f"{args.window:g} s window, {os.cpu_count()} cores")
    print(f"  client CPU, no monitor        {base:6.1f} % of one core (baseline)")
    for n in (1, 3):
        r = results[n]
        print(f"  client CPU, {n} viewer{'s' if n > 1 else ' '}         {r['cpu_pct']:6.1f} % of one core "
              f"({r['cpu_pct'] / max(base, 1e-9):.2f}x baseline, +{r['cpu_pct'] - base:.1f} points)")
    for n in (1, 3):
        r = results[n]
        if "latency_median_ms" in r:
            verdict = "under" if r["latency_median_ms"] < 300 else "OVER"
            print(f"  glass-to-glass, {n} viewer{'s' if n > 1 else ' '}     median {r['latency_median_ms']:6.1f} ms, "
                  f"p95 {r['latency_p95_ms']:6.1f} ms ({verdict} the 300 ms target), "
                  f"{r['shown_fps']:.1f} frames/s drawn per tab; of {r['frames_in']} frames so far the encoder "
                  f"skipped {r['frames_skipped']}, slow tabs missed {r['dropped_for_viewers']}")
        else:
            print(f"  glass-to-glass, {n} viewers: no frame reached the page in the window")
    return 0


if __name__ == "__main__":
    sys.exit(main())
