"""Reading inputs and writing outputs for every subcommand: plain errors, whole files or nothing."""

from __future__ import annotations

import os
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


def frames_per_chunk(text: str) -> tuple[int, int]:
    """`--frames-per-chunk N|FIRST,LATER` (an argparse type): a simulator's frames per chunk."""
    import argparse

    from ..sim.engine import parse_frames_per_chunk

    try:
        return parse_frames_per_chunk(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def frame_size(text: str) -> tuple[int, int]:
    """`--size WxH` (an argparse type): a frame size the simulator can draw, checked once for every command."""
    import argparse

    from ..sim.frames import parse_size

    try:
        return parse_size(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


OUTPUT_OPTIONS = {
    "compile": ("output",), "import": ("output",), "export": ("output",), "timeline": ("output",),
    "preview": ("output",), "report": ("output",), "take": ("output",),
    "run": ("video", "trace"), "direct": ("video", "trace", "take"),
}
"""The options naming the files a command writes."""
INPUT_ARGUMENTS = ("file", "files", "trace", "video")
"""The arguments naming the files a command reads (when they are not among its outputs)."""


def output_clash(command: str, args: object) -> str | None:
    """Why the files a command would write clash (two outputs on one file, or an output over a file
    it reads: `llv run story.llv --trace story.llv` would replace the storyboard), or None."""
    names = OUTPUT_OPTIONS.get(command, ())
    given = vars(args)
    outputs = [("-o" if n == "output" else f"--{n}", given.get(n)) for n in names]
    written: dict[object, str] = {}
    for option, path in outputs:
        if not isinstance(path, str) or path == "-":
            continue
        key = _file_key(path)
        if key in written:
            return f"{written[key]} and {option} name the same file, {path}"
        written[key] = option
    if not written:
        return None
    for name in INPUT_ARGUMENTS:
        value = None if name in names else given.get(name)
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, str):
                continue
            for path in (item, item.rpartition("@")[0]):  # FILE@variant reads FILE
                key = _file_key(path) if path and os.path.isfile(path) else None
                if key in written:
                    return f"{written[key]} would write over {path}, which this command reads"
    return None


def _file_key(path: str) -> object:
    """What makes two paths the same file: device and inode when it exists, else its real path."""
    try:
        st = os.stat(path)
    except OSError:
        return os.path.realpath(path)
    return (st.st_dev, st.st_ino)
