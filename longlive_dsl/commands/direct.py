"""`llv take`: what played in a session, as a storyboard that replays it."""

from __future__ import annotations

import argparse
import sys

from ..exits import EXIT_OK, EXIT_USAGE


def configure(name: str, parser: argparse.ArgumentParser) -> None:
    parser.add_argument("trace", metavar="TRACE", help="a trace written by `llv run --trace` or a directed session")
    parser.add_argument("-o", "--output", metavar="OUT.llv", required=True,
                        help="the storyboard to write; a take split by resets also writes OUT-2.llv, OUT-3.llv, ...")


def run(name: str, args: argparse.Namespace) -> int:
    return take_command(args)


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
