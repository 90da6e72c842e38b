"""`llv schema`, `llv import`, `llv export`, `llv timeline`: llv and the formats around it."""

from __future__ import annotations

import argparse
import json
import os
import sys

from .. import model
from ..cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from .files import add_clock_option
from .files import display_name as _name
from .files import read_or_report as _read
from .files import write_output as _write

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
                            help="longlive-v1: write the JSON Lines sample to PATH and its config lines beside it "
                                 "(PATH with .yaml; default: stdout, config lines on stderr); longlive-v2: the "
                                 "folder to write (required; new, empty or an earlier v2 export)")
        add_clock_option(parser)
    elif name == "timeline":
        parser.add_argument("file", metavar="FILE.llv", help="the storyboard ('-' for stdin)")
        parser.add_argument("--trace", metavar="TRACE",
                            help="draw what fired in this take (a trace of `llv run`) over the plan")
        parser.add_argument("-o", "--output", metavar="PATH", required=True,
                            help="the picture to write: PATH ending .svg or .html")
        add_clock_option(parser)


def run(name: str, args: argparse.Namespace) -> int:
    return {"schema": schema, "import": import_, "export": export, "timeline": timeline}[name](args)


def schema(args: argparse.Namespace) -> int:
    from ..runtime.trace import trace_schema
    from ..tools.interchange import program_schema

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


def _compile(path: str, clock: str | None = None):
    """The Program of `FILE` or `FILE@variant` (a file with several variants must name one)."""
    from .. import analyse
    from ..compiler import build_program
    from ..diagnostics import print_diagnostics
    from .run import one_variant, split_variant

    path, variant = split_variant(path)
    text = _read(path)
    if text is None:
        return None, EXIT_USAGE
    name = _name(path)
    result = analyse(text, name, clock)
    print_diagnostics([d for d in result.diagnostics if d.is_error], result.sources, sys.stderr)
    if not result.ok:
        n = sum(1 for d in result.diagnostics if d.is_error)
        print(f"error: {name} has {n} error{'s' if n != 1 else ''}; nothing exported "
              f"(`llv lint {name}` shows every finding)", file=sys.stderr)
        return None, EXIT_FINDINGS
    chosen = one_variant(result.variants, variant, name)
    if chosen is None:
        return None, EXIT_USAGE
    return build_program(chosen), EXIT_OK


def _seed_warning(program) -> None:
    from ..tools.interchange import longlive_seed, program_seed, where

    found = program_seed(program)
    if found is not None and found[0] < 0:
        seed, span = found
        print(f"{where(span)}: warning: seed {seed} is written as {longlive_seed(seed)} (the same 32 bits "
              f"unsigned): LongLive's inference seeds numpy, which refuses negative seeds", file=sys.stderr)


def export(args: argparse.Namespace) -> int:
    if args.to == "longlive-v2":
        return _export_v2(args)
    from ..tools.interchange import export_longlive_v1

    program, status = _compile(args.file, args.clock)
    if program is None:
        return status
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
    _seed_warning(program)
    if v1.cuts:
        print(f"note: LongLive 1.0 has no scene cuts; {v1.cuts} cut{'s are' if v1.cuts != 1 else ' is'} "
              f"exported as plain prompt switches", file=sys.stderr)
    print("note: switch_frame_indices are latent frames (4 a second, 16 fps video), rounded up to "
          "LongLive 1.0's 3-frame blocks, where its switches take effect", file=sys.stderr)
    return EXIT_OK


def _v2_target(path: str | None) -> tuple[str | None, str | None]:
    """(the export folder's absolute path, or None) and why it cannot be written (None when it can)."""
    from ..tools.interchange import V2_CONFIG_FILE, V2_CONFIG_HEADER

    if not path or path == "-":
        return None, "longlive-v2 writes a folder (caption/… and its settings): give it with -o DIR"
    target = os.path.abspath(path)
    parent = os.path.dirname(target)
    if os.path.islink(target):
        return None, f"{path} is a symbolic link: give -o the folder itself (new, empty or an earlier v2 export)"
    if os.path.lexists(target) and not os.path.isdir(target):
        return None, f"{path} is not a folder: longlive-v2 writes a folder; give -o a new or empty folder"
    if not os.path.isdir(parent):
        return None, f"cannot write {path}: the folder {parent} does not exist"
    if os.path.isdir(target):
        names = set(os.listdir(target))
        if names and not _is_v2_export(target, names, V2_CONFIG_FILE, V2_CONFIG_HEADER):
            return None, (f"{path} already holds other files: give -o a new or empty folder "
                          f"(a folder an earlier `llv export --to longlive-v2` wrote is replaced)")
    return target, None


def _is_v2_export(folder: str, names: set[str], config_file: str, header: str) -> bool:
    if names != {"caption", config_file} or not os.path.isdir(os.path.join(folder, "caption")):
        return False
    try:
        with open(os.path.join(folder, config_file), encoding="utf-8") as f:
            return f.readline().rstrip("\n") == header
    except (OSError, UnicodeDecodeError):
        return False


def _write_folder(target: str, files: dict[str, str]) -> None:
    """Write the whole folder or nothing: build it beside the target, then rename it into place.

    An earlier export at the target is moved aside first and removed once the new folder is in place
    (moved back if that fails).
    """
    import shutil
    import tempfile

    parent, name = os.path.split(target)
    tmp = tempfile.mkdtemp(prefix=f".{name}.", suffix=".tmp", dir=parent)
    old = None
    settled = False  # the new folder is in place, or the earlier one is back: `old` may go
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)
        for rel, text in files.items():
            path = os.path.join(tmp, *rel.split("/"))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
        if os.path.isdir(target) and os.listdir(target):
            old = tempfile.mkdtemp(prefix=f".{name}.", suffix=".old", dir=parent)
            os.rename(target, os.path.join(old, name))
        try:
            os.rename(tmp, target)
        except BaseException:
            if old is not None:
                os.rename(os.path.join(old, name), target)
            settled = True
            raise
        settled = True
    finally:
        if os.path.exists(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and settled:
            shutil.rmtree(old, ignore_errors=True)


def _export_v2(args: argparse.Namespace) -> int:
    from ..tools.interchange import (
        SCENE_CUT_PREFIX,
        V2_CONFIG_FILE,
        export_longlive_v2,
        v2_ambiguous,
        where,
    )

    target, problem = _v2_target(args.output)
    if problem or target is None:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    program, status = _compile(args.file, args.clock)
    if program is None:
        return status
    v2 = export_longlive_v2(program)
    try:
        _write_folder(target, v2.files(target))
    except OSError as e:
        print(f"error: cannot write {args.output}: {e.strerror or e}; nothing written", file=sys.stderr)
        return EXIT_USAGE
    cuts = sum(1 for s in v2.shots if s.beat.kind == model.CUT)
    soft = len(v2.soft_shots)
    print(f"wrote {args.output}: caption/{v2.sample}/ with {len(v2.shots)} shot{'s' if len(v2.shots) != 1 else ''} "
          f"over {v2.chunks} chunks ({cuts} scene cut{'s' if cuts != 1 else ''}, {soft} soft shot"
          f"{'s' if soft != 1 else ''}), and {V2_CONFIG_FILE} (num_output_frames {v2.num_output_frames} latent "
          f"frames; merge it into LongLive's configs/inference.yaml)", file=sys.stderr)
    _seed_warning(program)
    for shot in v2.soft_shots:
        print(f"{where(shot.beat.span)}: warning: this soft shot at chunk {shot.beat.chunk} is exported as its own "
              f"shot: LongLive 2.0 has no prompt switch inside a shot (NVlabs/LongLive#56), so it opens with "
              f"{SCENE_CUT_PREFIX.strip()!r} and the model plays it as a cut", file=sys.stderr)
    for beat in v2_ambiguous(program):
        print(f"{where(beat.span)}: warning: this {beat.kind}'s prompt begins with {SCENE_CUT_PREFIX.strip()!r}; "
              f"LongLive 2.0 takes every chunk that begins so for a scene cut (reword its start)", file=sys.stderr)
    return EXIT_OK


def timeline(args: argparse.Namespace) -> int:
    from .. import analyse
    from ..diagnostics import print_diagnostics
    from ..tools.timeline_view import render_html, render_svg

    out = args.output
    ext = os.path.splitext(out)[1].lower()
    if ext not in (".svg", ".html", ".htm"):
        print(f"error: {out}: the picture must end in .svg or .html", file=sys.stderr)
        return EXIT_USAGE
    from .run import one_variant, split_variant

    path, variant = split_variant(args.file)
    text = _read(path)
    if text is None:
        return EXIT_USAGE
    name = _name(path)
    result = analyse(text, name, args.clock)
    tl, diags = result.timeline, result.diagnostics
    if tl is not None and (variant is not None or len(result.variants) > 1):
        tl = one_variant(result.variants, variant, name)  # a file with several variants names the one to draw
        if tl is None:
            return EXIT_USAGE
    if tl is None:
        print_diagnostics(diags, {name: text}, sys.stderr)
        print(f"error: {name} does not parse; nothing drawn", file=sys.stderr)
        return EXIT_FINDINGS
    if args.trace:
        from .review import fired_picture

        picture = fired_picture(args.trace, name, tl, diags, ext == ".svg")
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
