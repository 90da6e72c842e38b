"""`--set NAME=VALUE` and `--seed N|A..B|A,B`: the options that change a storyboard from the command line."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def _set(text: str) -> tuple[str, str]:
    from ..takes import parse_set

    try:
        return parse_set(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _seeds(text: str) -> list[int]:
    from ..takes import parse_seeds

    try:
        return parse_seeds(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def add_override_options(parser: argparse.ArgumentParser, sweep: bool) -> None:
    """--set (repeatable) and --seed (a sweep when `sweep`, else one seed)."""
    parser.add_argument("--set", type=_set, action="append", default=[], metavar="NAME=VALUE",
                        help="replace the text of the define NAME (repeatable)")
    parser.add_argument("--seed", type=_seeds, metavar="N|A..B|A,B" if sweep else "N",
                        help="override the seed" + ("; a range or list plays one take per seed" if sweep else ""))


def overrides_of(args: argparse.Namespace, seed: int | None = None) -> Any:
    """The Overrides the options give (`seed` in place of --seed's, for one take of a sweep)."""
    from ..analysis import Overrides

    return Overrides(seed=seed, defines=dict(args.set))


def one_take_overrides(args: argparse.Namespace) -> Any:
    """The Overrides of a command that checks, shows or writes one take; None (after saying why) for a sweep."""
    if args.seed is not None and len(args.seed) != 1:
        print("error: --seed takes one seed here; `llv run` plays one take per seed of a range or list",
              file=sys.stderr)
        return None
    return overrides_of(args, None if args.seed is None else int(args.seed[0]))


def unknown_sets(args: argparse.Namespace, analysis: Any, name: str) -> bool:
    """True (after saying which) when a --set names a define the storyboard does not have (a storyboard
    that does not parse has its own errors to say first)."""
    if analysis.timeline is None:
        return False
    known = set(analysis.timeline.defines)
    missing = [n for n, _ in args.set if n not in known]
    for n in missing:
        import difflib

        close = difflib.get_close_matches(n, sorted(known), n=1)
        hint = f" (did you mean `{close[0]}`?)" if close else ""
        print(f"error: --set {n}: {name} has no define `{n}`{hint}", file=sys.stderr)
    return bool(missing)
