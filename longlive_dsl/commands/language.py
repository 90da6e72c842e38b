"""`llv lint`, `llv compile`, `llv plan`, `llv explain`: the language half of the command line."""

from __future__ import annotations

import argparse
import sys

from ..cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from .files import add_clock_option, display_name, read_or_report, write_output


def configure(name: str, parser: argparse.ArgumentParser) -> None:
    if name == "lint":
        parser.add_argument("files", nargs="+", metavar="FILE", help=".llv files to check ('-' for stdin)")
        parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
        add_clock_option(parser)
    elif name == "compile":
        parser.add_argument("file", metavar="FILE", help="the .llv file ('-' for stdin)")
        parser.add_argument("--json", action="store_true", help="print the whole Program as JSON")
        parser.add_argument("-o", "--output", metavar="PATH", help="write to PATH instead of stdout")
        add_clock_option(parser)
    elif name == "plan":
        parser.add_argument("file", metavar="FILE", help="the .llv file ('-' for stdin)")
        add_clock_option(parser)
    elif name == "explain":
        parser.add_argument("code", nargs="?", metavar="CODE", help="a diagnostic code, e.g. E505")
        parser.add_argument("--list", action="store_true", help="list every code")


def run(name: str, args: argparse.Namespace) -> int:
    return {"lint": lint, "compile": compile_, "plan": plan, "explain": explain}[name](args)


FORMATS = ["text", "json", "sarif", "github"]


def lint(args: argparse.Namespace) -> int:
    from .. import check
    from ..diagnostics import NOTE, print_diagnostics, render_json, summary

    everything = []
    sources: dict[str, str] = {}
    unreadable = 0
    for path in args.files:
        text = read_or_report(path)
        if text is None:
            unreadable += 1
            continue
        name = display_name(path)
        sources[name] = text
        everything += check(text, name, args.clock)[1]
    if args.format == "json":
        print(render_json(everything))
    elif args.format == "sarif":
        from ..tools.formats import render_sarif

        print(render_sarif(everything, sources))
    elif args.format == "github":
        from ..tools.formats import render_github

        if everything:
            print(render_github(everything))
    else:
        print_diagnostics(everything, sources, sys.stdout)
        if sources:
            print(summary(everything, len(sources)))
    if unreadable:
        return EXIT_USAGE
    return EXIT_FINDINGS if any(d.severity != NOTE for d in everything) else EXIT_OK


def compile_(args: argparse.Namespace) -> int:
    from .. import compile
    from ..diagnostics import print_diagnostics

    text = read_or_report(args.file)
    if text is None:
        return EXIT_USAGE
    name = display_name(args.file)
    program, diags = compile(text, name, args.clock)
    print_diagnostics(diags, {name: text}, sys.stderr)
    if program is None:
        n = sum(1 for d in diags if d.is_error)
        print(f"error: {name} has {n} error{'s' if n != 1 else ''}; nothing written", file=sys.stderr)
        return EXIT_FINDINGS
    out = program.model_dump_json(indent=2) + "\n" if args.json else "\n".join(program.wire_lines()) + "\n"
    return EXIT_OK if write_output(args.output, out) else EXIT_USAGE


def plan(args: argparse.Namespace) -> int:
    from .. import check
    from ..diagnostics import has_errors, print_diagnostics
    from ..tools.plan_view import render_plan

    text = read_or_report(args.file)
    if text is None:
        return EXIT_USAGE
    name = display_name(args.file)
    timeline, diags = check(text, name, args.clock)
    if timeline is not None and timeline.scenes:  # a partly placed plan still helps; '?' marks the unknown
        render_plan(timeline, diags)
    print_diagnostics(diags, {name: text}, sys.stderr)
    return EXIT_FINDINGS if has_errors(diags) else EXIT_OK


def explain(args: argparse.Namespace) -> int:
    from ..codes import CODES
    from ..codes import explain as explain_code

    if args.list or not args.code:
        for c in CODES.values():
            print(f"{c.code}  {c.severity:<7}  {c.title}")
        return EXIT_OK
    text = explain_code(args.code)
    if text is None:
        print(f"error: no diagnostic code `{args.code}`; `llv explain --list` lists them", file=sys.stderr)
        return EXIT_USAGE
    print(text)
    return EXIT_OK
