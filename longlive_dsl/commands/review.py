"""`llv preview`, `llv report`, `llv clips`: see a take before and after the run (longlive_dsl/review/)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from ..cli import EXIT_OK, EXIT_USAGE
from .files import add_clock_option, frame_size


def _not_a_file(path: str) -> str:
    return "it is a folder" if os.path.isdir(path) else "not a regular file" if os.path.exists(path) else "no such file"


def _step(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"the frame step must be at least 1, got {value}")
    return value


def configure(name: str, parser: argparse.ArgumentParser) -> None:
    if name == "preview":
        parser.add_argument("file", metavar="FILE", help="the .llv storyboard (or a compiled Program .json)")
        parser.add_argument("-o", "--output", metavar="PATH", required=True, help="the animatic to write (.mp4)")
        parser.add_argument("--size", type=frame_size, default=(640, 352), metavar="WxH",
                            help="frame size, multiples of 16 (default 640x352; the hosted size is 1280x704)")
        parser.add_argument("--step", type=_step, default=1, metavar="N",
                            help="draw every Nth frame only (at 24/N fps; the length stays the same)")
        add_clock_option(parser)
        parser.add_argument("--open", action="store_true", help="open the animatic in the desktop's video viewer")
    elif name == "report":
        parser.add_argument("trace", metavar="TRACE", help="a trace written by `llv run --trace`")
        parser.add_argument("file", metavar="FILE", nargs="?",
                            help="the storyboard that ran (default: the file the trace names)")
        parser.add_argument("--video", metavar="TAKE.mp4", help="the take `llv run --video` recorded")
        parser.add_argument("--link", action="store_true",
                            help="link the video by its path instead of embedding it in the page")
        parser.add_argument("-o", "--output", metavar="PATH", required=True, help="the page to write (.html)")
        add_clock_option(parser)
    elif name == "clips":
        parser.add_argument("video", metavar="TAKE.mp4", help="the take `llv run --video` recorded")
        parser.add_argument("--trace", metavar="TRACE", required=True, help="the trace of the same run")
        parser.add_argument("-o", "--output", metavar="DIR", required=True, help="the folder for the clips")
        parser.add_argument("--per", choices=["scene", "beat"], default="scene",
                            help="one clip per scene (default) or per beat that fired")


def run(name: str, args: argparse.Namespace) -> int:
    return {"preview": preview, "report": report, "clips": clips}[name](args)


def preview(args: argparse.Namespace) -> int:
    try:
        from ..review.animatic import PreviewError, render_preview, viewer
    except ImportError as e:
        print(f"error: llv preview needs the simulator's extras ({e}); install llv with the `sim` extra",
              file=sys.stderr)
        return EXIT_USAGE
    from ..review import storyboard_clock
    from .run import load_program

    program, code = load_program(args.file, args.clock)
    if program is None:
        return code
    clock = storyboard_clock(program)
    try:
        done = render_preview(program, args.output, size=args.size, step=args.step, clock=clock)
    except PreviewError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as e:
        print(f"error: cannot write {args.output}: {e.strerror or e}", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote {done.path}: {done.chunks} chunks, {done.seconds:.1f} s of video on the {clock.name} clock, "
          f"{done.frames_written} frames at {done.width}x{done.height} in {done.elapsed:.1f} s "
          f"({done.real_time_multiple:.0f}x real time)", file=sys.stderr)
    if args.open:
        command = viewer()
        if command is None:
            print("note: no video viewer found here (xdg-open); open the file yourself", file=sys.stderr)
        else:
            try:
                subprocess.Popen([*command, os.path.abspath(done.path)], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, start_new_session=True)
            except OSError as e:
                print(f"note: could not start the viewer {command[0]}: {e.strerror or e}", file=sys.stderr)
    return EXIT_OK


def _records(path: str) -> list | None:
    from ..review.report import is_trace
    from ..runtime.trace import TraceFileError, read_trace

    try:
        records = read_trace(path)
    except OSError as e:
        print(f"error: cannot read the trace {path}: {e.strerror or e}", file=sys.stderr)
        return None
    except TraceFileError as e:  # a line that is not a trace record: say which
        print(f"error: {path} is not a trace written by `llv run --trace`: {e}", file=sys.stderr)
        return None
    except UnicodeDecodeError:
        records = []
    if not is_trace(records):
        print(f"error: {path} is not a trace written by `llv run --trace` (JSON Lines records with `t` and `kind`)",
              file=sys.stderr)
        return None
    return records


def report(args: argparse.Namespace) -> int:
    from ..review import storyboard_clock
    from .files import write_output
    from .run import load_program

    try:
        from ..review.report import ReportError, build_report, trace_storyboard
    except ImportError as e:
        print(f"error: llv report needs the `sim` extra ({e})", file=sys.stderr)
        return EXIT_USAGE
    if os.path.splitext(args.output)[1].lower() not in (".html", ".htm"):
        print(f"error: {args.output}: the report is a page; name it .html", file=sys.stderr)
        return EXIT_USAGE
    records = _records(args.trace)
    if records is None:
        return EXIT_USAGE
    storyboard = args.file or trace_storyboard(records)
    if storyboard is None:
        print(f"error: {args.trace} names no storyboard; give it: llv report {args.trace} FILE.llv -o ...",
              file=sys.stderr)
        return EXIT_USAGE
    program, code = load_program(storyboard, args.clock)
    if program is None:
        return code
    if args.video and not os.path.isfile(args.video):
        print(f"error: cannot read the video {args.video}: {_not_a_file(args.video)}", file=sys.stderr)
        return EXIT_USAGE
    href = None
    if args.video and args.link:
        from urllib.parse import quote

        folder = os.path.dirname(os.path.abspath(args.output))
        href = quote(os.path.relpath(os.path.abspath(args.video), folder).replace(os.sep, "/"))
    try:
        page = build_report(program, records, video=args.video, video_href=href,
                            clock=storyboard_clock(program), trace_name=os.path.basename(args.trace))
    except ReportError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
    if not write_output(args.output, page):
        return EXIT_USAGE
    print(f"wrote {args.output}" + (f" (the video linked as {href})" if href else ""), file=sys.stderr)
    return EXIT_OK


def clips(args: argparse.Namespace) -> int:
    try:
        from ..review.clips import cut_clips
        from ..review.report import ReportError
    except ImportError as e:
        print(f"error: llv clips needs the `sim` extra ({e})", file=sys.stderr)
        return EXIT_USAGE
    if not os.path.isfile(args.video):
        print(f"error: cannot read the video {args.video}: {_not_a_file(args.video)}", file=sys.stderr)
        return EXIT_USAGE
    records = _records(args.trace)
    if records is None:
        return EXIT_USAGE
    if os.path.exists(args.output) and not os.path.isdir(args.output):
        print(f"error: {args.output} is a file; -o names the folder for the clips", file=sys.stderr)
        return EXIT_USAGE
    try:
        made, stamped = cut_clips(args.video, records, args.output, per=args.per)
    except ReportError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as e:
        print(f"error: cannot write the clips into {args.output}: {e.strerror or e}", file=sys.stderr)
        return EXIT_USAGE
    for clip in made:
        how = "copied" if clip.copied else "re-encoded (it does not start on a key frame)"
        print(f"{clip.path}: {clip.frames} frames from frame {clip.first_frame}, {how}", file=sys.stderr)
    if not stamped:
        print("note: the video carries no frame stamps; clips were placed by the model's frame counts "
              "and are exact only if no frame was dropped", file=sys.stderr)
    print(f"wrote {len(made)} clip{'s' if len(made) != 1 else ''} into {args.output}", file=sys.stderr)
    return EXIT_OK


def fired_picture(trace: str, name: str, tl, diags, svg: bool) -> str | None:
    """`llv timeline FILE --trace TRACE`: the picture of `tl` (the variant drawn, on its clock) with the take's
    fired beats, each judged against that same plan; None after an error."""
    from ..compiler import build_program
    from ..diagnostics import has_errors
    from ..review.report import fired_against_plan
    from ..tools.timeline_view import render_with_fired

    records = _records(trace)
    if records is None:
        return None
    if has_errors(diags):
        print(f"error: {name} has errors, so the take cannot be compared with its plan", file=sys.stderr)
        return None
    return render_with_fired(tl, diags, fired_against_plan(build_program(tl), records), page=not svg)
