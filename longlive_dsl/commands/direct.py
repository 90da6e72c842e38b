"""`llv direct` (the terminal director) and `llv take` (what played, as a storyboard that replays it)."""

from __future__ import annotations

import argparse
import sys

from ..exits import EXIT_OK, EXIT_USAGE


def configure(name: str, parser: argparse.ArgumentParser) -> None:
    if name == "direct":
        configure_direct(parser)
        return
    parser.add_argument("trace", metavar="TRACE", help="a trace written by `llv run --trace` or a directed session")
    parser.add_argument("-o", "--output", metavar="OUT.llv", required=True,
                        help="the storyboard to write; a take split by resets also writes OUT-2.llv, OUT-3.llv, ...")


def run(name: str, args: argparse.Namespace) -> int:
    if name == "direct":
        return direct_command(args)
    return take_command(args)


def configure_direct(parser: argparse.ArgumentParser) -> None:
    from .files import add_clock_option
    from .run import _positive, add_monitor_options, add_venue_options

    parser.add_argument("file", metavar="FILE", nargs="?", help="the .llv storyboard to start from (none: an empty plan)")
    parser.add_argument("--take", metavar="OUT.llv",
                        help="on quitting, write what played as a storyboard (a reset splits it: OUT-2.llv, ...)")
    parser.add_argument("--trace", metavar="PATH", help="the wire trace (default with --take: OUT.jsonl beside it)")
    parser.add_argument("--video", metavar="PATH", help="record the video to PATH (H.264 MP4)")
    add_venue_options(parser)
    parser.add_argument("--clip-seconds", type=_positive, default=10.0, metavar="SECONDS",
                        help="how much video a snap clip (Ctrl-S) holds (default 10)")
    add_monitor_options(parser)
    add_clock_option(parser)


def direct_command(args: argparse.Namespace) -> int:
    """Run the terminal director; its exit code is the session's (docs/run.md), 2 for bad arguments."""
    import os

    from ..runtime import Failure
    from .run import API_KEY_ENV, API_URL_ENV

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print("error: llv direct needs a terminal (use longlive_dsl.connect from a script instead)", file=sys.stderr)
        return EXIT_USAGE
    try:
        from ..direct.tui import DirectOptions, Director
    except ImportError as e:
        print(f"error: llv direct needs the `direct` extra ({e}); pip install 'longlive-dsl[direct]'", file=sys.stderr)
        return EXIT_USAGE
    program, defines = None, {}
    if args.file:
        from .run import load_take

        take, code = load_take(args.file, args.clock)
        if take is None:
            return code
        program, defines = take.program, take.defines
    api_key = os.environ.get(API_KEY_ENV, "").strip() or None
    if args.cloud and not api_key:
        print(f"error: --cloud needs an API key in the environment variable {API_KEY_ENV}", file=sys.stderr)
        return Failure.USAGE.value
    trace = args.trace
    if args.take and not trace:
        trace = os.path.splitext(args.take)[0] + ".jsonl"
    for path in (trace, args.take, args.video):
        if path and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            print(f"error: cannot write {path}: no such directory", file=sys.stderr)
            return EXIT_USAGE
    simulator: dict[str, object] = {"time_scale": args.time_scale}
    if args.size:
        simulator["size"] = args.size
    if args.frames_per_chunk:
        simulator["frames_per_chunk"] = args.frames_per_chunk
    connect = {"server": args.server, "cloud": args.cloud, "api_key": api_key,
               "api_url": args.api_url or os.environ.get(API_URL_ENV), "video": args.video,
               "simulator": simulator, "clock": args.clock}
    clip_dir = os.path.dirname(os.path.abspath(args.take)) if args.take else os.getcwd()
    options = DirectOptions(plan=program, connect=connect, defines=defines, take=args.take, trace=trace,
                            clip_seconds=args.clip_seconds, clip_dir=clip_dir, monitor=args.monitor,
                            open_page=not args.no_open)
    app = Director(options)
    ran = app.run()
    code = app.exit_code if ran is None else ran
    for path in app.written:
        print(f"llv direct: take: {path}", file=sys.stderr)
    if trace:
        print(f"llv direct: trace: {trace}", file=sys.stderr)
    if args.video:
        print(f"llv direct: video: {args.video}", file=sys.stderr)
    return int(code or 0)


def take_command(args: argparse.Namespace) -> int:
    """Read a trace, write its take; exit 2 on an unreadable trace or one in which nothing played."""
    from ..direct.take import read_take, write_take
    from ..runtime.trace import TraceFileError, read_trace

    try:
        records = read_trace(args.trace)
    except OSError as e:
        print(f"error: cannot read the trace {args.trace}: {e.strerror}", file=sys.stderr)
        return EXIT_USAGE
    except (TraceFileError, UnicodeDecodeError) as e:
        why = str(e) if isinstance(e, TraceFileError) else f"{args.trace} is not a trace (not UTF-8 text)"
        print(f"error: {why}", file=sys.stderr)
        return EXIT_USAGE
    take = read_take(records)
    if not take.segments:
        print(f"error: {args.trace}: no chunk was made in this session, so there is no take to write", file=sys.stderr)
        return EXIT_USAGE
    try:
        written = write_take(take, args.output, args.trace)
    except OSError as e:
        print(f"error: cannot write {e.filename or args.output}: {e.strerror}", file=sys.stderr)
        return EXIT_USAGE
    for path, segment in zip(written, take.segments, strict=True):
        print(f"llv take: {path}: {len(segment.beats)} beats, {segment.chunks} chunks")
    return EXIT_OK
