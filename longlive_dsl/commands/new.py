"""`llv new NAME [--preset P]`: write a starter storyboard from a preset or a shipped example."""

from __future__ import annotations

import argparse
import os
import sys
from importlib import resources

from ..exits import EXIT_OK, EXIT_USAGE

DEFAULT_PRESET = "journey"
PACKAGES = ("longlive_dsl.presets", "longlive_dsl.examples")
"""Where presets come from, in order: the starters, then the examples (both inside the wheel)."""


def presets() -> dict[str, tuple[str, str]]:
    """Every preset by name: (its text, the one-line description of its first comment)."""
    found: dict[str, tuple[str, str]] = {}
    for package in PACKAGES:
        try:
            files = sorted(resources.files(package).iterdir(), key=lambda f: f.name)
        except ModuleNotFoundError:
            continue
        for f in files:
            if not f.name.endswith(".llv"):
                continue
            text = f.read_text(encoding="utf-8")
            first = text.splitlines()[0] if text else ""
            about = first.lstrip("# ").removeprefix("preset: ") if first.startswith("#") else ""
            found.setdefault(f.name[:-4], (text, about or "an example storyboard"))
    return found


def configure(name: str, parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", metavar="NAME", help="the storyboard to write: NAME.llv (or NAME if it ends in .llv)")
    parser.add_argument("--preset", "-p", default=DEFAULT_PRESET, metavar="P",
                        help=f"the starter to copy (default {DEFAULT_PRESET}); --list shows them")
    parser.add_argument("--list", action="store_true", help="list the presets")
    parser.add_argument("--force", action="store_true", help="overwrite NAME.llv if it exists")


def run(name: str, args: argparse.Namespace) -> int:
    from ..output import write_text

    known = presets()
    if args.list or not args.name:
        width = max(len(n) for n in known)
        for preset, (_, about) in known.items():
            print(f"{preset.ljust(width)}  {about}")
        if not args.list:
            print("\nusage: llv new NAME [--preset P]", file=sys.stderr)
            return EXIT_USAGE
        return EXIT_OK
    if args.preset not in known:
        import difflib

        close = difflib.get_close_matches(args.preset, list(known), n=1)
        hint = f" (did you mean `{close[0]}`?)" if close else ""
        print(f"error: no preset `{args.preset}`{hint}; `llv new --list` lists them", file=sys.stderr)
        return EXIT_USAGE
    path = args.name if args.name.endswith(".llv") else args.name + ".llv"
    if os.path.exists(path) and not args.force:
        print(f"error: {path} exists; pick another name or pass --force", file=sys.stderr)
        return EXIT_USAGE
    try:
        write_text(path, known[args.preset][0])
    except OSError as e:
        print(f"error: cannot write {path}: {e.strerror or e}", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote {path} from the `{args.preset}` preset; next: llv plan {path}, then llv run {path}", file=sys.stderr)
    return EXIT_OK
