"""`llv serve`: run the LongLive-2.0 reference simulator on 127.0.0.1.

Local mode (default) serves the published reactor-runtime with the simulator as its model: the
same routes as a local Reactor model (``/start_session``, ``/session``, ``/schema``,
``/health``, signalling under ``/sessions/{sid}/transport/webrtc``), no ICE servers advertised.
``--cloud`` puts the coordinator double in front (``/tokens``, ``/sessions``, bearer tokens,
429 when out of capacity); accepted API keys come from ``LLV_SIM_API_KEYS``.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from longlive_dsl import model
from longlive_dsl.exits import EXIT_OK, EXIT_SERVE_FAILED, EXIT_USAGE

from .files import frame_size, frames_per_chunk


def configure(name: str, parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8080, help="port on 127.0.0.1 (default 8080)")
    parser.add_argument("--cloud", action="store_true",
                        help="serve Reactor's cloud coordinator routes (tokens, sessions) in front of the model")
    parser.add_argument("--fps", type=int, default=model.FPS, help=f"frames per second (default {model.FPS})")
    parser.add_argument("--clock", choices=list(model.CLOCKS), default=model.DEFAULT_CLOCK.name,
                        help="the chunk clock to emit: measured (a scene's first chunk 29 frames, each later one "
                             "32, as the hosted model does) or docs (29 always) (default measured)")
    parser.add_argument("--frames-per-chunk", type=frames_per_chunk, metavar="N|FIRST,LATER",
                        help="frames in a chunk, overriding --clock: N for every chunk, or FIRST,LATER for a "
                             "scene's first chunk and each later one (fewer = a faster test)")
    parser.add_argument("--scene-budget", type=int, default=model.SCENE_BUDGET_CHUNKS,
                        help=f"chunks before a scene auto-completes (default {model.SCENE_BUDGET_CHUNKS})")
    parser.add_argument("--size", type=frame_size, default=(640, 352), metavar="WxH",
                        help="frame size WIDTHxHEIGHT, multiples of 16 (default 640x352; the hosted model is 1280x704)")
    parser.add_argument("--time-scale", type=float, default=1.0,
                        help="play frames this many times faster; chunks stay the same (default 1)")
    cloud = parser.add_argument_group("cloud mode")
    cloud.add_argument("--capacity", type=int, default=1,
                       help="simulated GPUs, each a runtime holding one session: 0 refuses every session with 429 "
                            "(default 1)")
    cloud.add_argument("--queue", type=int, default=0, metavar="N",
                       help="sessions that may wait for a GPU (state WAITING) before further ones get 429 (default 0)")
    cloud.add_argument("--refuse-first", type=int, default=0, metavar="N",
                       help="answer the first N session requests with 429 (default 0)")
    cloud.add_argument("--retry-after", type=int, default=2, metavar="SECONDS",
                       help="Retry-After of a 429 (default 2)")
    parser.add_argument("--verbose", "-v", action="store_true", help="show the runtime's log")


def run(name: str, args: argparse.Namespace) -> int:
    if not 0 <= args.capacity <= 16 or not 0 <= args.queue <= 1000:
        print("llv serve: --capacity must be in 0..16 and --queue in 0..1000", file=sys.stderr)
        return EXIT_USAGE
    if not 1 <= args.port <= 65535:
        print(f"llv serve: --port must be in 1..65535, got {args.port}", file=sys.stderr)
        return EXIT_USAGE
    try:
        import reactor_runtime  # noqa: F401
    except ImportError:
        print("llv serve: the simulator needs reactor-runtime: pip install 'longlive-dsl[sim]'", file=sys.stderr)
        return EXIT_SERVE_FAILED
    from longlive_dsl.sim.server import Simulator, SimulatorError

    try:
        sim = Simulator(
            args.port, fps=args.fps, clock=args.clock, frames_per_chunk=args.frames_per_chunk,
            scene_budget=args.scene_budget,
            size=args.size, time_scale=args.time_scale, cloud=args.cloud, capacity=args.capacity, queue=args.queue,
            refuse_first=args.refuse_first, retry_after=args.retry_after,
            log=sys.stderr, log_level="INFO" if args.verbose else "WARNING",
        )
    except ValueError as error:
        print(f"llv serve: {error}", file=sys.stderr)
        return EXIT_USAGE

    stop = threading.Event()
    caught: list[int] = []

    def on_signal(signum: int, frame: object) -> None:
        caught.append(signum)
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            url = sim.start()
        except SimulatorError as error:
            print(f"llv serve: {error}", file=sys.stderr)
            return EXIT_SERVE_FAILED
        if stop.is_set():
            return EXIT_OK
        c = sim.config
        mode = "cloud coordinator double" if args.cloud else "local runtime"
        print(f"llv serve: LongLive-2.0 simulator ({mode}) listening on {url}", flush=True)
        first, later = c.frames_per_chunk
        chunks = f"{first} frames per chunk" if first == later else f"{first} frames in a scene's first chunk, {later} in each later one"
        print(f"  {c.size[0]}x{c.size[1]} at {c.fps} fps, {chunks}, "
              f"{c.scene_budget} chunks per scene"
              + (f", time x{c.time_scale:g} ({c.playout_fps:g} frames/s on the wire)" if c.time_scale != 1 else ""),
              flush=True)
        if args.cloud:
            print(f"  {args.capacity} simulated GPU{'s' if args.capacity != 1 else ''}, "
                  f"{args.queue} queue place{'s' if args.queue != 1 else ''}", flush=True)
            print("  API keys: LLV_SIM_API_KEYS" + ("" if _keys_set() else " (unset: the development key, see docs)"),
                  flush=True)
        print("  Ctrl-C stops it.", flush=True)
        while not stop.wait(0.5):
            if not sim.running():
                print("llv serve: the simulator stopped unexpectedly", file=sys.stderr)
                return EXIT_SERVE_FAILED
        return EXIT_OK
    finally:
        sim.stop()
        for s, handler in previous.items():
            signal.signal(s, handler)
        if caught:
            print("llv serve: stopped", file=sys.stderr, flush=True)


def _keys_set() -> bool:
    import os

    return bool(os.environ.get("LLV_SIM_API_KEYS", "").strip())
