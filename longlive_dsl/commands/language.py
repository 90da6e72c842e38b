"""`llv lint`, `llv compile`, `llv plan`, `llv explain`: the language half of the command line."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from .files import add_clock_option, display_name, read_or_report, write_output
from .overrides import add_override_options


def configure(name: str, parser: argparse.ArgumentParser) -> None:
    if name == "lint":
        parser.add_argument("files", nargs="+", metavar="FILE", help=".llv files to check ('-' for stdin)")
        parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
        add_clock_option(parser)
        _config_options(parser)
        add_override_options(parser, sweep=False)
    elif name == "fix":
        parser.add_argument("files", nargs="+", metavar="FILE", help=".llv files to fix in place ('-': stdin to stdout)")
        parser.add_argument("--diff", action="store_true", help="print the changes as a diff instead of writing")
        add_clock_option(parser)
        _config_options(parser)
    elif name == "compile":
        parser.add_argument("file", metavar="FILE", help="the .llv file ('-' for stdin)")
        parser.add_argument("--json", action="store_true", help="print the whole Program as JSON")
        parser.add_argument("-o", "--output", metavar="PATH",
                            help="write to PATH instead of stdout (a folder, one file per variant, when the file has variants)")
        add_clock_option(parser)
        add_override_options(parser, sweep=False)
    elif name == "plan":
        parser.add_argument("file", metavar="FILE", help="the .llv file ('-' for stdin)")
        add_clock_option(parser)
        add_override_options(parser, sweep=False)
    elif name == "explain":
        parser.add_argument("code", nargs="?", metavar="CODE", help="a diagnostic code, e.g. E505")
        parser.add_argument("--list", action="store_true", help="list every code")


def run(name: str, args: argparse.Namespace) -> int:
    return {"lint": lint, "fix": fix, "compile": compile_, "plan": plan, "explain": explain}[name](args)


def _config_options(parser: argparse.ArgumentParser) -> None:
    """--select/--ignore/--deny/--config/--isolated: the options over `[tool.llv]` / llv.toml."""
    codes = lambda text: [c for c in text.split(",") if c.strip()]  # noqa: E731
    parser.add_argument("--select", type=codes, metavar="CODES", help="report only these codes or prefixes (errors always)")
    parser.add_argument("--ignore", type=codes, action="extend", default=[], metavar="CODES",
                        help="do not report these warning/note codes or prefixes")
    parser.add_argument("--deny", type=codes, action="extend", default=[], metavar="WHAT",
                        help="let `warnings`, `notes` or these codes fail the run (exit 1)")
    parser.add_argument("--config", metavar="PATH", help="use this llv.toml or pyproject.toml, not the nearest one")
    parser.add_argument("--isolated", action="store_true", help="read no configuration file")


def _configs(args: argparse.Namespace):
    """A function file -> Config (the nearest configuration plus the options), or None after printing why not."""
    from ..config import DEFAULT, ConfigError, ConfigFinder, read_config

    fixed: Any
    try:
        if args.isolated:
            fixed = DEFAULT
        elif args.config:
            fixed = read_config(args.config)
            if fixed is None:
                raise ConfigError(f"{args.config}: has no [tool.llv] table")
        else:
            fixed = None
        finder = ConfigFinder()
        options = {"select": args.select, "ignore": args.ignore, "deny": args.deny, "clock": args.clock}
        DEFAULT.with_options(**options)  # check the options once, before any file
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return None

    def config_for(path: str):
        return (fixed or finder.for_file(path)).with_options(**options)

    return config_for


FORMATS = ["text", "json", "sarif", "github"]


def lint(args: argparse.Namespace) -> int:
    from ..analysis import analyse
    from ..config import ConfigError, apply
    from ..diagnostics import print_diagnostics, render_json, summary
    from .overrides import one_take_overrides, unknown_sets

    configs = _configs(args)
    overrides = one_take_overrides(args)
    if configs is None or overrides is None:
        return EXIT_USAGE
    everything = []
    sources: dict[str, str] = {}
    read: dict[str, str] = {}  # every text read, the includes' too: what the diagnostics are shown in
    unreadable = 0
    failing = 0
    denied = {"warning": 0, "note": 0}
    for path in args.files:
        try:
            config = configs(path)
        except ConfigError as e:
            print(f"error: {e}", file=sys.stderr)
            unreadable += 1
            continue
        text = read_or_report(path)
        if text is None:
            unreadable += 1
            continue
        name = display_name(path)
        result = analyse(text, name, config.clock, overrides)
        if unknown_sets(args, result, name):
            unreadable += 1
            continue
        sources[name] = text
        read.update(result.sources)
        found = apply(result.diagnostics, text, name, config)
        for d in found:
            if config.fails(d):
                failing += 1
                if not d.is_error:
                    denied[d.severity] += 1
        everything += found
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
        print_diagnostics(everything, read, sys.stdout)
        if sources:
            print(summary(everything, len(sources)))
            counts = [f"{n} {sev}{'s' if n != 1 else ''}" for sev, n in denied.items() if n]
            if counts:
                print(f"Denied (`--deny`, or `deny` in the configuration), so failing the check: {', '.join(counts)}.")
    if unreadable:
        return EXIT_USAGE
    return EXIT_FINDINGS if failing else EXIT_OK


def fix(args: argparse.Namespace) -> int:
    """Apply the safe fixes in each file; exit 1 while problems that fail `llv lint` remain."""
    import difflib

    from ..config import ConfigError
    from ..diagnostics import print_diagnostics, printable
    from ..output import write_text
    from ..tools.fix import fix_source

    configs = _configs(args)
    if configs is None:
        return EXIT_USAGE
    status = EXIT_OK
    for path in args.files:
        try:
            config = configs(path)
        except ConfigError as e:
            print(f"error: {e}", file=sys.stderr)
            status = EXIT_USAGE
            continue
        text = read_or_report(path)
        if text is None:
            status = EXIT_USAGE
            continue
        name = display_name(path)
        result = fix_source(text, name, config)
        for r in result.refused:
            print(printable(f"{name}:{r.diagnostic.span.line}:{r.diagnostic.span.column}: not fixed "
                            f"[{r.diagnostic.code}] {r.fix.message}: {r.reason}"), file=sys.stderr)
        if args.diff:
            sys.stdout.writelines(difflib.unified_diff(text.splitlines(True), result.source.splitlines(True),
                                                       name, name))
            if result.changed and status == EXIT_OK:
                status = EXIT_FINDINGS  # like `ruff --diff`: 1 when there is something to fix
        elif path == "-":
            sys.stdout.write(result.source)
        elif result.changed:
            try:
                write_text(path, _as_written(path, result.source))
            except OSError as e:
                print(f"error: cannot write {path}: {e.strerror or e}", file=sys.stderr)
                status = EXIT_USAGE
                continue
        n = len(result.applied)
        verb = "would fix" if args.diff or path == "-" else "fixed"
        print(f"{name}: {verb} {n} problem{'s' if n != 1 else ''}" if n else f"{name}: nothing to fix", file=sys.stderr)
        print_diagnostics([d for d in result.remaining if config.fails(d)], {name: result.source}, sys.stderr)
        if any(config.fails(d) for d in result.remaining) and status == EXIT_OK:
            status = EXIT_FINDINGS
    return status


def _as_written(path: str, text: str) -> str:
    """The fixed text in the file's own conventions: its byte-order mark and CRLF line ends, if it had them."""
    with open(path, "rb") as f:
        head = f.read()
    if b"\r\n" in head:
        text = text.replace("\n", "\r\n")
    return ("\ufeff" + text) if head.startswith(b"\xef\xbb\xbf") else text


def compile_(args: argparse.Namespace) -> int:
    """One Program; for a file with `variant` blocks one per variant (headed `# FILE@variant`, or a folder with -o)."""
    from .. import analyse
    from ..compiler import build_program
    from ..diagnostics import print_diagnostics
    from .overrides import one_take_overrides, unknown_sets

    overrides = one_take_overrides(args)
    text = read_or_report(args.file) if overrides is not None else None
    if text is None:
        return EXIT_USAGE
    name = display_name(args.file)
    result = analyse(text, name, args.clock, overrides)
    diags = result.diagnostics
    print_diagnostics(diags, result.sources, sys.stderr)
    if unknown_sets(args, result, name):
        return EXIT_USAGE
    programs = [build_program(tl) for tl in result.variants] if result.ok else []
    if not programs:
        n = sum(1 for d in diags if d.is_error)
        print(f"error: {name} has {n} error{'s' if n != 1 else ''}; nothing written", file=sys.stderr)
        return EXIT_FINDINGS

    def text_of(program: Any) -> str:
        return program.model_dump_json(indent=2) + "\n" if args.json else "\n".join(program.wire_lines()) + "\n"

    if len(programs) == 1 and "@" not in programs[0].source:
        return EXIT_OK if write_output(args.output, text_of(programs[0])) else EXIT_USAGE
    if args.output is None:
        if args.json:
            sys.stdout.write("[\n" + ",\n".join(p.model_dump_json(indent=2) for p in programs) + "\n]\n")
        else:
            sys.stdout.write("".join(f"# {p.source}\n" + text_of(p) for p in programs))
        return EXIT_OK
    return EXIT_OK if _write_variants(args.output, args.file, programs, ".json" if args.json else ".wire",
                                      text_of) else EXIT_USAGE


def _write_variants(folder: str, path: str, programs: list[Any], suffix: str, text_of: Any) -> bool:
    """Write one file per variant into `folder` (made if missing): `STEM@VARIANT.json` or `.wire`."""
    import os

    stem = "stdin" if path == "-" else os.path.splitext(os.path.basename(path))[0]
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        print(f"error: cannot make the folder {folder}: {e.strerror or e}", file=sys.stderr)
        return False
    for program in programs:
        variant = program.source.rpartition("@")[2]
        target = os.path.join(folder, f"{stem}@{variant}{suffix}")
        if not write_output(target, text_of(program)):
            return False
        print(f"wrote {target}", file=sys.stderr)
    return True


def plan(args: argparse.Namespace) -> int:
    from .. import analyse
    from ..diagnostics import has_errors, print_diagnostics
    from ..tools.plan_view import render_plan, render_variants
    from .overrides import one_take_overrides, unknown_sets

    overrides = one_take_overrides(args)
    text = read_or_report(args.file) if overrides is not None else None
    if text is None:
        return EXIT_USAGE
    name = display_name(args.file)
    result = analyse(text, name, args.clock, overrides)
    if unknown_sets(args, result, name):
        return EXIT_USAGE
    diags = result.diagnostics
    if len(result.variants) > 1:
        render_variants(result.variants, diags)
    elif result.timeline is not None and result.timeline.scenes:  # a partly placed plan still helps; '?' marks the unknown
        render_plan(result.timeline, diags)
    print_diagnostics(diags, result.sources, sys.stderr)
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
