"""`llv run` and `llv verify`: play a storyboard on the simulator or Reactor's cloud, check a trace.

Where `llv run` plays:
- `--server URL`: a runtime at URL (a local reactor-runtime, `llv serve`, any LongLive runtime);
- `--cloud`, or REACTOR_API_KEY set: Reactor's cloud (`--api-url` to point elsewhere, e.g. at
  the cloud double of `llv serve --cloud`); the key is read from REACTOR_API_KEY only;
- otherwise: a simulator it starts itself on 127.0.0.1 and stops at the end.
Exit codes are those of `longlive_dsl.runtime.Failure` (docs/run.md).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from typing import Any

from ..exits import EXIT_FINDINGS, EXIT_OK
from .files import add_clock_option, frame_size, frames_per_chunk
from .overrides import add_override_options

API_KEY_ENV = "REACTOR_API_KEY"
API_URL_ENV = "REACTOR_API_URL"


TIME_SCALE_RANGE = (0.01, 100.0)
"""--time-scale bounds: those of the simulator (docs/simulator.md)."""


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _time_scale(text: str) -> float:
    value = _positive(text)
    low, high = TIME_SCALE_RANGE
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"expected a time scale in {low:g}..{high:g}, got {text!r}")
    return value


def _url(text: str) -> str:
    """An http(s) URL with a host: what --server and --api-url take."""
    import httpx

    try:
        url = httpx.URL(text.strip())
    except (httpx.InvalidURL, TypeError, ValueError):
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        raise argparse.ArgumentTypeError(f"expected an http:// or https:// URL, got {text!r}")
    if url.port is not None and not 1 <= url.port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port in 1..65535, got {url.port} in {text!r}")
    return str(url)


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"expected a number of takes at once in 1..64, got {text!r}")
    return value


def _retries(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 10:
        raise argparse.ArgumentTypeError(f"expected 0..10 retries, got {text!r}")
    return value


def configure(name: str, parser: argparse.ArgumentParser) -> None:
    if name == "run":
        parser.add_argument("files", nargs="+", metavar="FILE",
                            help="the .llv storyboard (or a compiled Program .json); several files, variants or "
                                 "seeds play one take each")
        parser.add_argument("--video", metavar="PATH", help="record the video to PATH (H.264 MP4; one take)")
        parser.add_argument("--trace", metavar="PATH", help="write the wire trace to PATH (JSON Lines; one take)")
        takes = parser.add_argument_group("many takes")
        takes.add_argument("-o", "--output", metavar="DIR",
                           help="play every take into DIR/TAKE/ (video, trace, verdict) and write DIR/summary.json "
                                "(default for several takes: ./takes)")
        takes.add_argument("--jobs", "-j", type=_jobs, default=1, metavar="N",
                           help="play at most N takes at once (default 1)")
        takes.add_argument("--retries", type=_retries, default=1, metavar="N",
                           help="try a take again up to N times when its failure is retryable: no capacity, a "
                                "timeout, a lost connection (default 1)")
        takes.add_argument("--resume", action="store_true", help="skip takes already verified in DIR with the same program")
        takes.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
        add_override_options(parser, sweep=True)
        add_venue_options(parser)
        parser.add_argument(
            "--silence-timeout", type=_positive, metavar="SECONDS",
            help="give up when the model says nothing for this long once started (default: 8 chunks, at least 10 s)",
        )
        parser.add_argument(
            "--capacity-wait", type=_positive, default=300.0, metavar="SECONDS",
            help="how long to keep retrying when the cloud has no capacity (429) (default 300)",
        )
        parser.add_argument(
            "--call-timeout", type=_positive, default=30.0, metavar="SECONDS",
            help="total time one HTTP call may take, body included (default 30)",
        )
        parser.add_argument(
            "--signalling-timeout", type=_positive, default=60.0, metavar="SECONDS",
            help="time from the first call to the SDP answer, waits for cloud capacity aside (default 60)",
        )
        parser.add_argument(
            "--connect-timeout", type=_positive, default=20.0, metavar="SECONDS",
            help="time from the SDP answer until the WebRTC connection and its channels are open (default 20)",
        )
        parser.add_argument(
            "--first-frame-timeout", type=_positive, metavar="SECONDS",
            help="time from `start` to the first video frame (default: 4 chunks, at least 30 s)",
        )
        parser.add_argument("--plain", action="store_true", help="plain progress lines even on a terminal")
        parser.add_argument("--from-chunk", type=int, metavar="K",
                            help="carry the plan on from session chunk K on a new session (after a take that "
                                 "failed there): K becomes chunk 0, the beats still to come move back by K")
        add_monitor_options(parser)
        add_clock_option(parser)
    elif name == "verify":
        parser.add_argument("trace", metavar="TRACE", help="a trace written by `llv run --trace`")
        parser.add_argument("file", metavar="FILE", help="the .llv storyboard (or a compiled Program .json) that ran")
        add_clock_option(parser)


def add_venue_options(parser: argparse.ArgumentParser) -> None:
    """Where a session plays (`--server`, `--cloud`, `--api-url`) and the embedded simulator's options;
    `llv run` and `llv direct` share them."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--server", metavar="URL", type=_url, help="play on the runtime at URL (no authentication)")
    where.add_argument("--cloud", action="store_true", help=f"play on Reactor's cloud (key from {API_KEY_ENV})")
    parser.add_argument(
        "--api-url", metavar="URL", type=_url, help=f"the cloud API's base URL (default ${API_URL_ENV} or https://api.reactor.inc)"
    )
    parser.add_argument(
        "--time-scale", type=_time_scale, default=1.0, metavar="X",
        help="the embedded simulator plays X times faster than real time, 0.01..100 (default 1)",
    )
    parser.add_argument("--size", type=frame_size, metavar="WxH",
                        help="frame size of the embedded simulator: multiples of 16, 160x96 to 3840x2160 "
                             "(default 640x352; the hosted model's is 1280x704)")
    parser.add_argument(
        "--frames-per-chunk", type=frames_per_chunk, metavar="N|FIRST,LATER",
        help="frames in a chunk on the embedded simulator, overriding the plan's clock: N for every chunk, "
             "or FIRST,LATER (default: the plan's clock, 29,32 when measured; fewer = a faster preview)",
    )


def add_monitor_options(parser: argparse.ArgumentParser) -> None:
    """`--monitor` and `--no-open`, shared by `llv run` and `llv direct` (docs/monitor.md)."""
    parser.add_argument("--monitor", action="store_true",
                        help="watch the take live in a browser tab on 127.0.0.1, the picture beside the plan "
                             "(its URL is printed)")
    parser.add_argument("--no-open", action="store_true", help="with --monitor: print the URL, do not open a browser")


def run(name: str, args: argparse.Namespace) -> int:
    if name != "run":
        return verify_command(args)
    from ..runtime import Failure

    try:
        return run_command(args)
    except BrokenPipeError:  # stderr went away outside the run itself (diagnostics): never exit 0
        silence(sys.stderr)
        return Failure.OUTPUT.value


def load_program(path: str, clock: str | None = None) -> tuple[Any, int]:
    """The one Program of a .llv file (`FILE@variant`; diagnostics printed) or of a Program JSON;
    (None, exit code) after saying why not. `clock` (`--clock`) overrides the storyboard's; a compiled
    Program already carries its clock."""
    take, code = load_take(path, clock)
    return (None, code) if take is None else (take.program, 0)


def load_take(path: str, clock: str | None = None) -> tuple[Any, int]:
    """As `load_program`, the whole Take (its Program and its defines)."""
    if path.endswith(".json"):
        from ..takes import Take, take_name

        program, code = compiled_program(path, clock)
        return (None, code) if program is None else (Take(take_name(path, None, None, False), program, path), 0)
    from ..runtime import Failure
    from .files import display_name

    takes, code = collect_takes(argparse.Namespace(files=[path], seed=None, set=[], clock=clock))
    if takes is None:
        return None, code
    if len(takes) > 1:
        name_one(display_name(split_variant(path)[0]), [t.variant for t in takes])
        return None, Failure.USAGE.value
    return takes[0], 0


def compiled_program(path: str, clock: str | None = None) -> tuple[Any, int]:
    """The Program in a compiled Program JSON; (None, exit code) after saying why not."""
    from ..program import Program
    from ..runtime import Failure

    if clock is not None:
        print(f"error: --clock applies to a .llv storyboard; {path} is a compiled Program, which carries "
              "the clock it was compiled on (compile again with --clock)", file=sys.stderr)
        return None, Failure.USAGE.value
    try:
        with open(path, encoding="utf-8") as f:
            return Program.model_validate_json(f.read()), 0
    except OSError as e:
        print(f"error: cannot read {path}: {e.strerror}", file=sys.stderr)
        return None, Failure.USAGE.value
    except ValueError as e:
        print(f"error: {path} is not a compiled Program: {e}", file=sys.stderr)
        return None, Failure.USAGE.value


def name_one(name: str, variants: list[str | None]) -> None:
    """Say that a command working on one timeline was given a file with several variants."""
    print(f"error: {name} has {len(variants)} variants ({', '.join(map(str, variants))}); name one as "
          f"{name}@{variants[0]}", file=sys.stderr)


def one_variant(timelines: list[Any], variant: str | None, name: str) -> Any:
    """The one timeline a command works on: `FILE@variant`'s, or the file's only one; None after saying why
    not (no such variant, or several and none named: a command that takes one never picks silently)."""
    chosen = pick_variants(timelines, variant, name)
    if chosen is None:
        return None
    if len(chosen) > 1:
        name_one(name, [tl.variant for tl in chosen])
        return None
    return chosen[0]


def split_variant(path: str) -> tuple[str, str | None]:
    """`story.llv@calm` -> ("story.llv", "calm"); a path that exists as written is a path."""
    if "@" in path and not os.path.exists(path):
        file, _, variant = path.rpartition("@")
        return file, variant
    return path, None


def pick_variants(timelines: list[Any], variant: str | None, name: str) -> list[Any] | None:
    """The timelines `FILE@variant` asks for (all of them without a variant); None after saying why not."""
    if variant is None:
        return timelines
    chosen = [tl for tl in timelines if tl.variant == variant]
    if not chosen:
        known = ", ".join(str(tl.variant) for tl in timelines if tl.variant is not None)
        print(f"error: {name} has no variant `{variant}`" + (f"; its variants: {known}" if known else
                                                             " (it has no variants)"), file=sys.stderr)
        return None
    return chosen


def collect_takes(args: argparse.Namespace) -> tuple[list[Any] | None, int]:
    """Every take the command line asks for: each file's variants × each --seed; (None, exit code) after
    printing why not (a storyboard with errors, an unreadable file, a --set naming no define)."""
    from .. import analyse
    from ..compiler import build_program
    from ..diagnostics import print_diagnostics
    from ..runtime import Failure
    from ..takes import MAX_TAKES, Take, take_name, unique_names
    from .files import display_name, read_or_report
    from .overrides import overrides_of, unknown_sets

    seeds: list[int | None] = list(args.seed) if args.seed else [None]
    sweep = len(seeds) > 1
    takes: list[Take] = []
    for path in args.files:
        if path.endswith(".json"):
            if args.seed or args.set:
                print(f"error: --seed and --set apply to a .llv storyboard; {path} is a compiled Program",
                      file=sys.stderr)
                return None, Failure.USAGE.value
            program, code = compiled_program(path, args.clock)
            if program is None:
                return None, code
            takes.append(Take(take_name(path, None, None, False), program, path))
            continue
        path, variant = split_variant(path)
        text = read_or_report(path)
        if text is None:
            return None, Failure.USAGE.value
        name = display_name(path)
        for i, seed in enumerate(seeds):
            result = analyse(text, name, args.clock, overrides_of(args, seed))
            if i == 0:
                print_diagnostics(result.diagnostics, result.sources)
                if unknown_sets(args, result, name):
                    return None, Failure.USAGE.value
            if not result.ok:
                print(f"error: {name} has errors; nothing was run", file=sys.stderr)
                return None, Failure.STORYBOARD.value
            chosen = pick_variants(result.variants, variant, name)
            if chosen is None:
                return None, Failure.USAGE.value
            for tl in chosen:
                defines = {name: info.value for name, info in tl.defines.items()}
                takes.append(Take(take_name(path, tl.variant, seed, sweep), build_program(tl), path, tl.variant, seed,
                                  defines))
            if len(takes) > MAX_TAKES:
                print(f"error: more than {MAX_TAKES} takes asked for", file=sys.stderr)
                return None, Failure.USAGE.value
    return unique_names(takes), 0


def run_command(args: argparse.Namespace) -> int:
    from ..runtime import Failure

    takes, code = collect_takes(args)
    if takes is None:
        return code
    if len(takes) > 1 or args.output is not None:
        if args.video or args.trace:
            print("error: --video and --trace name one take's files; several takes go into -o DIR", file=sys.stderr)
            return Failure.USAGE.value
        if args.from_chunk is not None:
            print("error: --from-chunk carries one take on; give one storyboard (or one variant and seed)",
                  file=sys.stderr)
            return Failure.USAGE.value
        if args.monitor:
            print("error: --monitor watches one take; several takes (or -o DIR) play in their own processes, "
                  "each with its run.log", file=sys.stderr)
            return Failure.USAGE.value
        return run_many(args, takes)
    return run_one(args, takes[0].program, takes[0].source)


def run_one(args: argparse.Namespace, program: Any, file: str) -> int:
    """One take, as `llv run FILE --video V --trace T` has always played it."""
    from ..runtime import Failure

    if getattr(args, "from_chunk", None) is not None:
        from ..continuation import program_from_chunk

        try:
            program = program_from_chunk(program, args.from_chunk)
        except ValueError as e:
            print(f"error: --from-chunk {args.from_chunk}: {e}", file=sys.stderr)
            return Failure.USAGE.value
    from ..runtime.display import Redacting, make_display
    from ..runtime.session import RunOptions, play
    from ..runtime.trace import Redactor, Trace
    from ..venue import CLOUD, SIMULATOR, NoSimulator, VenueError, choose_venue, venue_url
    api_key = os.environ.get(API_KEY_ENV, "").strip()
    try:
        venue = choose_venue(server=args.server, cloud=args.cloud, api_key=api_key or None,
                             api_url=args.api_url or os.environ.get(API_URL_ENV))
    except VenueError:
        print(f"error: --cloud needs an API key in the environment variable {API_KEY_ENV}", file=sys.stderr)
        return Failure.USAGE.value
    redactor = Redactor([api_key] if api_key else [])
    try:
        trace = Trace(args.trace, redactor)
    except OSError as e:
        print(f"error: cannot write the trace {args.trace}: {e.strerror}", file=sys.stderr)
        return Failure.USAGE.value
    if args.video:
        existed = os.path.exists(args.video)
        try:
            open(args.video, "ab").close()
        except OSError as e:
            print(f"error: cannot write the video {args.video}: {e.strerror}", file=sys.stderr)
            return Failure.USAGE.value
        if not existed:
            os.unlink(args.video)  # only a probe: the recorder creates the file at the first frame
    options = RunOptions(
        video=args.video, time_scale=args.time_scale, silence_timeout=args.silence_timeout,
        call_timeout=args.call_timeout, signalling_timeout=args.signalling_timeout,
        connect_timeout=args.connect_timeout, first_frame_timeout=args.first_frame_timeout,
    )
    display: Any = Redacting(Quiet(make_display(sys.stderr, file, force_plain=args.plain), sys.stderr), redactor)
    trace.write("run", file=file, mode=venue.kind, clock=program.clock.name)
    simulator: dict[str, Any] = {"time_scale": args.time_scale}
    if args.size:
        simulator["size"] = args.size
    # The embedded simulator emits the clock the plan assumed, unless --frames-per-chunk says otherwise.
    simulator["frames_per_chunk"] = args.frames_per_chunk or (
        program.clock.first_chunk_frames, program.clock.later_chunk_frames)
    if venue.kind == SIMULATOR:
        display.info(f"starting the simulator (time scale {args.time_scale:g}, {program.clock.name} clock)")
    # ---- `--monitor`: the live page (longlive_dsl/monitor) hears what the display hears, and every frame.
    monitor = None
    if args.monitor:
        from ..monitor import Tee, start_for_run

        try:
            monitor = start_for_run(program, display, open_page=not args.no_open)
        except OSError as e:
            print(f"error: cannot start the monitor: {e}", file=sys.stderr)
            trace.close()
            return Failure.USAGE.value
        display = Tee(display, Redacting(monitor, redactor))  # the page sees what the terminal sees, redacted
        options.on_frame = monitor.frame
    try:
        with venue_url(venue, **simulator) as url:
            result = play(program, url, trace, options, display, api_key=venue.api_key if venue.kind == CLOUD else None,
                          capacity_wait=args.capacity_wait)
    except VenueError as e:
        print(f"error: {e}", file=sys.stderr)
        return Failure.USAGE.value if isinstance(e, NoSimulator) else Failure.SERVER.value
    finally:
        display.close()
        if monitor is not None:
            monitor.close()
        trace.close()
    return _report(result, args, redactor, file)


def child_options(args: argparse.Namespace) -> list[str]:
    """The `llv run` options each take's own process gets: where to play, the simulator, the timeouts."""
    out: list[str] = []
    if args.server:
        out += ["--server", args.server]
    if args.cloud:
        out.append("--cloud")
    if args.api_url:
        out += ["--api-url", args.api_url]
    out += ["--time-scale", repr(args.time_scale), "--capacity-wait", repr(args.capacity_wait),
            "--call-timeout", repr(args.call_timeout), "--signalling-timeout", repr(args.signalling_timeout),
            "--connect-timeout", repr(args.connect_timeout)]
    if args.size:
        out += ["--size", f"{args.size[0]}x{args.size[1]}"]
    if args.frames_per_chunk:
        out += ["--frames-per-chunk", f"{args.frames_per_chunk[0]},{args.frames_per_chunk[1]}"]
    if args.silence_timeout:
        out += ["--silence-timeout", repr(args.silence_timeout)]
    if args.first_frame_timeout:
        out += ["--first-frame-timeout", repr(args.first_frame_timeout)]
    return out


def run_many(args: argparse.Namespace, takes: list[Any]) -> int:
    """Several takes: each in its own process, at most --jobs at once; a table and summary.json at the end."""
    from pathlib import Path

    from ..batch import Batch, Runner, batch_exit_code, summary_json
    from ..diagnostics import json_text
    from ..runtime import Failure
    from ..runtime.display import printable

    if args.cloud and not os.environ.get(API_KEY_ENV, "").strip():
        print(f"error: --cloud needs an API key in the environment variable {API_KEY_ENV}", file=sys.stderr)
        return Failure.USAGE.value
    out = Path(args.output or "takes")
    if out.exists() and not out.is_dir():
        print(f"error: {out} is not a folder", file=sys.stderr)
        return Failure.USAGE.value
    batch = Batch(takes, out, jobs=args.jobs, run_options=child_options(args), retries=args.retries, resume=args.resume)
    say(f"llv run: {len(takes)} takes into {out}/, at most {args.jobs} at once")
    runner = Runner(batch, lambda text: say(f"llv run: {printable(text)}"))
    try:
        results = runner.run()
    except OSError as e:
        print(f"error: cannot write into {out}: {e.strerror or e}", file=sys.stderr)
        return Failure.OUTPUT.value
    if args.json:
        print(json_text(summary_json(results)))
    else:
        print_summary(results)
    say(f"llv run: summary: {out / 'summary.json'}")
    return batch_exit_code(results, runner.hung_up)


def print_summary(results: list[Any]) -> None:
    """The table of takes (on stdout): take, status, beats on plan, frames, wall time, exit class."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from ..runtime.display import printable

    table = Table(title="takes", title_justify="left")
    for column in ("take", "status", "beats on plan", "frames", "wall time", "exit class"):
        table.add_column(column, no_wrap=True, justify="right" if column in ("frames", "wall time") else "left")
    for r in results:
        status = r.status + (" (resumed)" if r.resumed else "") + (f" ({r.attempts} tries)" if r.attempts > 1 else "")
        table.add_row(escape(printable(r.take)), status, f"{r.beats_on_plan}/{r.beats}", str(r.frames),
                      f"{r.wall_seconds:.1f} s", r.exit_class)
    wide = None if sys.stdout.isatty() else 200  # a pipe or a file gets whole names, not a terminal's width
    Console(highlight=False, width=wide).print(table)


class Quiet:
    """Passes everything to a display until its terminal goes away, then says nothing more.

    A closed pipe (`llv run … 2>&1 | head`) or a hung-up terminal must not end the take: the run
    goes on silently, its video and trace complete, and the exit code is the run's. The stream is
    pointed at /dev/null so nothing fails again on the way out.
    """

    def __init__(self, display: Any, stream: Any):
        self.display, self.stream = display, stream
        self.gone = False

    def _do(self, name: str, *args: Any) -> None:
        if self.gone:
            return
        try:
            getattr(self.display, name)(*args)
        except (OSError, ValueError):  # EPIPE, EIO; ValueError: the stream was closed
            self.gone = True
            silence(self.stream)

    def status(self, status: Any, detail: str) -> None:
        self._do("status", status, detail)

    def info(self, text: str) -> None:
        self._do("info", text)

    def progress(self, progress: Any) -> None:
        self._do("progress", progress)

    def problem(self, text: str) -> None:
        self._do("problem", text)

    def close(self) -> None:
        self._do("close")


def silence(stream: Any) -> None:
    """Point a broken output stream at /dev/null (its fd too), so later writes and the exit flush succeed."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError, AttributeError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def say(text: str, stream: Any = None) -> None:
    """Print a line to stderr; a stderr that is gone is silenced instead."""
    stream = stream or sys.stderr
    try:
        print(text, file=stream, flush=True)
    except (OSError, ValueError):
        silence(stream)


def _report(result: Any, args: argparse.Namespace, redactor: Any, file: str) -> int:
    from ..runtime import Failure
    from ..runtime.display import printable

    result.message = printable(redactor.text(result.message))
    frames = f"{result.frames_received} frames"
    if result.frames_expected is not None and result.frames_dropped:
        frames = f"{result.frames_received} of {result.frames_expected} frames ({result.frames_dropped} dropped)"
    if result.failure is None:
        say(f"llv run: {result.message}; {result.chunks_done} chunks, {frames}")
    else:
        say(f"llv run: error: {result.message} (exit {result.exit_code})")
        say(f"llv run: stopped after {result.chunks_done} chunks, {frames}")
        if result.failure in (Failure.CONNECTION_LOST, Failure.TIMEOUT) and result.chunks_done > 0:
            # The offer to reconnect, for a command that does not ask: the line that carries the plan on.
            k = (getattr(args, "from_chunk", None) or 0) + result.chunks_done
            say(f"llv run: to carry the plan on from chunk {k} on a new session: llv run {file} --from-chunk {k}")
    if args.video and result.frames_recorded:
        say(f"llv run: video: {args.video} ({result.frames_recorded} frames)")
    elif args.video:
        say(f"llv run: no frames were recorded, so no video was written to {args.video}")
    if args.trace:
        say(f"llv run: trace: {args.trace}")
    return result.exit_code


def verify_command(args: argparse.Namespace) -> int:
    from ..runtime import Failure
    from ..runtime.trace import TraceFileError, read_trace
    from ..runtime.verify import render, verify

    program, code = load_program(args.file, args.clock)
    if program is None:
        return code
    try:
        records = read_trace(args.trace)
    except OSError as e:
        print(f"error: cannot read the trace {args.trace}: {e.strerror}", file=sys.stderr)
        return Failure.USAGE.value
    except TraceFileError as e:
        print(f"error: {e}", file=sys.stderr)
        return Failure.USAGE.value
    except UnicodeDecodeError:
        print(f"error: {args.trace} is not a trace (not UTF-8 text)", file=sys.stderr)
        return Failure.USAGE.value
    report = verify(program, records)
    print(render(report, args.file, args.trace))
    return EXIT_OK if report.ok else EXIT_FINDINGS
