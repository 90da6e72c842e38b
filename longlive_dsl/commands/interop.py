"""`llv schema`, `llv import`, `llv export`, `llv timeline`: llv and the formats around it."""

from __future__ import annotations

import argparse
import json
import os
import sys

from ..cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE

EXPORT_TARGETS = ["longlive-v1", "longlive-v2"]


def configure(name: str, parser: argparse.ArgumentParser) -> None:
    if name == "schema":
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--program", action="store_const", dest="which", const="program",
                           help="the compiled Program, as `llv compile --json` writes it (the default)")
        which.add_argument("--trace", action="store_const", dest="which", const="trace",
                           help="one record of a wire trace (each line of a `--trace` JSON Lines file)")
        parser.set_defaults(which="program")
        parser.add_argument("-o", "--output", metavar="PATH", help="write to PATH instead of stdout")
    elif name == "import":
        parser.add_argument("file", metavar="FILE.json", help="the web app's storyboard JSON ('-' for stdin)")
        parser.add_argument("-o", "--output", metavar="PATH", help="write the .llv to PATH instead of stdout")
        parser.add_argument("--title", help="the storyboard's title (default: from the file name)")
    elif name == "export":
        parser.add_argument("file", metavar="FILE.llv", help="the storyboard ('-' for stdin)")
        parser.add_argument("--to", required=True, choices=EXPORT_TARGETS, help="the target format")
        parser.add_argument("-o", "--output", metavar="PATH",
                            help="write the JSON Lines sample to PATH (for longlive-v1 the config lines go "
                                 "beside it, as PATH with .yaml); default: stdout (v1 config lines on stderr)")
    elif name == "timeline":
        parser.add_argument("file", metavar="FILE.llv", help="the storyboard ('-' for stdin)")
        parser.add_argument("--trace", metavar="TRACE",
                            help="draw what fired in this take (a trace of `llv run`) over the plan")
        parser.add_argument("-o", "--output", metavar="PATH", required=True,
                            help="the picture to write: PATH ending .svg or .html")


def run(name: str, args: argparse.Namespace) -> int:
    return {"schema": schema, "import": import_, "export": export, "timeline": timeline}[name](args)


from .files import display_name as _name, read_or_report as _read, write_output as _write  # noqa: E402


def schema(args: argparse.Namespace) -> int:
    from ..tools.interchange import program_schema, trace_schema

    data = trace_schema() if args.which == "trace" else program_schema()
    return EXIT_OK if _write(args.output, json.dumps(data, indent=2) + "\n") else EXIT_USAGE


def import_(args: argparse.Namespace) -> int:
    from ..tools.interchange import StoryboardImportError, import_web_storyboard

    text = _read(args.file)
    if text is None:
        return EXIT_USAGE
    name = _name(args.file)
    try:
        llv = import_web_storyboard(text, name, title=args.title)
    except StoryboardImportError as e:
        for problem in e.problems:
            print(problem, file=sys.stderr)
        n = len(e.problems)
        print(f"error: {name} is not a storyboard llv can import ({n} problem{'s' if n != 1 else ''}); "
              f"nothing written", file=sys.stderr)
        return EXIT_FINDINGS
    if not _write(args.output, llv):
        return EXIT_USAGE
    # Say what the model would make of it: the imported storyboard is checked like any other.
    from .. import check
    from ..diagnostics import has_errors, print_diagnostics

    shown = args.output or "<imported>"
    diags = check(llv, shown)[1]
    print_diagnostics([d for d in diags if d.is_error], {shown: llv}, sys.stderr)
    if args.output:
        print(f"wrote {args.output}", file=sys.stderr)
    errors = sum(1 for d in diags if d.is_error)
    others = len(diags) - errors
    if errors or others:
        print(f"{'error' if errors else 'note'}: the imported storyboard has {errors} error{'s' if errors != 1 else ''} "
              f"and {others} other finding{'s' if others != 1 else ''}; `llv lint` on it shows them all",
              file=sys.stderr)
    return EXIT_FINDINGS if has_errors(diags) else EXIT_OK


def _compile(path: str):
    from .. import compile
    from ..diagnostics import has_errors, print_diagnostics

    text = _read(path)
    if text is None:
        return None, EXIT_USAGE
    name = _name(path)
    program, diags = compile(text, name)
    print_diagnostics([d for d in diags if d.is_error], {name: text}, sys.stderr)
    if program is None or has_errors(diags):
        n = sum(1 for d in diags if d.is_error)
        print(f"error: {name} has {n} error{'s' if n != 1 else ''}; nothing exported "
              f"(`llv lint {name}` shows every finding)", file=sys.stderr)
        return None, EXIT_FINDINGS
    return program, EXIT_OK


def export(args: argparse.Namespace) -> int:
    from ..tools.interchange import (
        SCENE_CUT_PREFIX,
        export_longlive_v1,
        export_longlive_v2,
        v2_ambiguous,
        v2_jsonl,
    )

    program, status = _compile(args.file)
    if program is None:
        return status
    if args.to == "longlive-v2":
        prompts = export_longlive_v2(program)
        if not _write(args.output, v2_jsonl(prompts)):
            return EXIT_USAGE
        cuts = len(program.scenes) - 1
        print(f"longlive-v2: {len(prompts)} blocks (one prompt per chunk), {cuts} scene cut"
              f"{'s' if cuts != 1 else ''} marked with the in-band prefix", file=sys.stderr)
        for beat in v2_ambiguous(program):
            print(f"warning: the {beat.kind} at chunk {beat.chunk} begins with {SCENE_CUT_PREFIX.strip()!r}; "
                  f"LongLive 2.0 takes every chunk that begins so for a scene cut (reword its start)", file=sys.stderr)
        return EXIT_OK
    v1 = export_longlive_v1(program)
    if args.output:
        base, _ = os.path.splitext(args.output)
        config_path = base + ".yaml"
        if not _write(args.output, v1.jsonl()):
            return EXIT_USAGE
        if not _write(config_path, v1.config(os.path.basename(args.output))):
            return EXIT_USAGE
        print(f"wrote {args.output} and {config_path}", file=sys.stderr)
    else:
        sys.stdout.write(v1.jsonl())
        sys.stderr.write(v1.config())
    if v1.cuts:
        print(f"note: LongLive 1.0 has no scene cuts; {v1.cuts} cut{'s are' if v1.cuts != 1 else ' is'} "
              f"exported as plain prompt switches", file=sys.stderr)
    print("note: switch_frame_indices are latent frames (4 a second, 16 fps video), rounded up to "
          "LongLive 1.0's 3-frame blocks, where its switches take effect", file=sys.stderr)
    return EXIT_OK


def timeline(args: argparse.Namespace) -> int:
    from .. import check
    from ..diagnostics import print_diagnostics
    from ..tools.timeline_view import render_html, render_svg

    out = args.output
    ext = os.path.splitext(out)[1].lower()
    if ext not in (".svg", ".html", ".htm"):
        print(f"error: {out}: the picture must end in .svg or .html", file=sys.stderr)
        return EXIT_USAGE
    text = _read(args.file)
    if text is None:
        return EXIT_USAGE
    name = _name(args.file)
    tl, diags = check(text, name)
    if tl is None:
        print_diagnostics(diags, {name: text}, sys.stderr)
        print(f"error: {name} does not parse; nothing drawn", file=sys.stderr)
        return EXIT_FINDINGS
    if args.trace:
        from .review import fired_picture

        picture = fired_picture(args.trace, text, name, tl, diags, ext == ".svg")
        if picture is None:
            return EXIT_USAGE
    else:
        picture = render_svg(tl, diags) if ext == ".svg" else render_html(tl, diags)
    if not _write(out, picture):
        return EXIT_USAGE
    problems = [d for d in diags if d.severity != "note"]
    if problems:
        print_diagnostics(problems, {name: text}, sys.stderr)
    print(f"wrote {out}", file=sys.stderr)
    return EXIT_FINDINGS if any(d.is_error for d in diags) else EXIT_OK
