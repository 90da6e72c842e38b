"""Reading inputs and writing outputs for every subcommand: plain errors, whole files or nothing."""

from __future__ import annotations

import sys


def read_or_report(path: str, exact: bool = False) -> str | None:
    """The text of a .llv file ('-' for stdin; `exact`: BOM and line ends as stored), or None after printing why not."""
    from ..source import SourceError, read_source, read_text

    try:
        return read_text(path) if exact else read_source(path)
    except SourceError as e:
        print(f"error: {e}", file=sys.stderr)
        return None


def display_name(path: str) -> str:
    return "<stdin>" if path == "-" else path


def write_output(path: str | None, text: str) -> bool:
    """Write text to path atomically (stdout when path is None); False after printing why it failed."""
    if path is None:
        sys.stdout.write(text)
        return True
    from ..output import write_text

    try:
        write_text(path, text)
    except OSError as e:
        print(f"error: cannot write {path}: {e.strerror or e}", file=sys.stderr)
        return False
    return True


def add_clock_option(parser) -> None:
    """`--clock measured|docs`: the chunk clock seconds convert on, overriding the storyboard's `clock`."""
    from ..model import CLOCKS, DEFAULT_CLOCK

    parser.add_argument("--clock", choices=list(CLOCKS), default=None,
                        help=f"the chunk clock seconds convert on, overriding the file's `clock` statement "
                             f"(default: the file's, else {DEFAULT_CLOCK.name})")


def frame_size(text: str) -> tuple[int, int]:
    """`--size WxH` (an argparse type): a frame size the simulator can draw, checked once for every command."""
    import argparse

    from ..sim.frames import parse_size

    try:
        return parse_size(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
