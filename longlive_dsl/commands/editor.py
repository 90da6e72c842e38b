"""`llv fmt` and `llv lsp`: the editor half of the command line."""

from __future__ import annotations

import argparse
import sys

from ..exits import EXIT_FINDINGS, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE
from ..source import normalise_text
from .files import display_name, read_or_report, write_output


def configure(name: str, parser: argparse.ArgumentParser) -> None:
    if name == "fmt":
        parser.add_argument("files", nargs="*", metavar="FILE",
                            help=".llv files to rewrite in place ('-', or none, for stdin to stdout)")
        parser.add_argument("--check", action="store_true",
                            help="change nothing; print a diff and exit 1 when a file is not formatted")
    elif name == "lsp":
        parser.add_argument("--stdio", action="store_true",
                            help="talk over stdin/stdout (the default and only transport; accepted for editors that pass it)")


def run(name: str, args: argparse.Namespace) -> int:
    if name == "fmt":
        return fmt(args)
    return lsp(args)


def fmt(args: argparse.Namespace) -> int:
    from ..diagnostics import print_diagnostics
    from ..tools.fmt import FormatError, UnsafeFormat, format_source

    if not args.files and sys.stdin.isatty():
        print("usage: llv fmt [--check] FILE... (or `-` to format stdin to stdout)", file=sys.stderr)
        return EXIT_USAGE
    paths = args.files or ["-"]
    if paths.count("-") > 1:
        print("error: `-` (stdin) can be given once", file=sys.stderr)
        return EXIT_USAGE
    status = EXIT_OK
    changed = 0
    for path in paths:
        name = display_name(path)
        stored = read_or_report(path, exact=True)  # as stored: a BOM or CR line ends are a change too
        if stored is None:
            status = max(status, EXIT_USAGE)
            continue
        try:
            formatted = format_source(stored, name)
        except FormatError as e:
            print_diagnostics(e.diagnostics, {name: normalise_text(stored)}, sys.stderr)
            print(f"error: {name} has syntax errors; not formatted", file=sys.stderr)
            status = max(status, EXIT_FINDINGS)
            continue
        except UnsafeFormat as e:
            print(f"error: {name}: not formatted, because {e}; the file is left as it was. "
                  "This is a bug in llv fmt; please report it with the file.", file=sys.stderr)
            status = max(status, EXIT_INTERNAL)
            continue
        if args.check:
            if formatted != stored:
                changed += 1
                _print_diff(name, stored, formatted)
                status = max(status, EXIT_FINDINGS)
            continue
        if path == "-":
            sys.stdout.write(formatted)
            continue
        if formatted != stored:
            if not write_output(path, formatted):
                status = max(status, EXIT_USAGE)
                continue
            changed += 1
            print(f"formatted {path}", file=sys.stderr)
    if args.check and changed:
        files = f"{changed} file" + ("" if changed == 1 else "s")
        print(f"{files} would be reformatted; run `llv fmt` on {'it' if changed == 1 else 'them'}", file=sys.stderr)
    return status


def _print_diff(name: str, stored: str, formatted: str) -> None:
    """The unified diff `llv fmt --check` prints, plus a line for changes a diff of lines cannot show."""
    import difflib

    text = normalise_text(stored)
    sys.stdout.writelines(difflib.unified_diff(
        text.splitlines(keepends=True), formatted.splitlines(keepends=True),
        fromfile=f"{name} (original)", tofile=f"{name} (formatted)"))
    unseen = []
    if stored.startswith("\ufeff"):
        unseen.append("remove the byte-order mark")
    if "\r" in stored:
        unseen.append("end every line with \\n (not \\r\\n or \\r)")
    if unseen:
        print(f"{name}: would {' and '.join(unseen)}", file=sys.stderr)


def lsp(args: argparse.Namespace) -> int:
    try:
        from ..tools.lsp import serve
    except ImportError as e:  # pygls is an extra
        print(f"error: the language server needs pygls ({e}); install it with `pip install 'longlive-dsl[lsp]'`",
              file=sys.stderr)
        return EXIT_USAGE
    serve()
    return EXIT_OK
