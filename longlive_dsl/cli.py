"""The `llv` command: a thin dispatcher that imports only the subcommand it runs (start-up stays fast)."""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

# name -> (module in longlive_dsl.commands, one-line help). Each module defines
# `configure(parser: argparse.ArgumentParser)` and `run(args) -> int`.
COMMANDS: dict[str, tuple[str, str]] = {
    "lint": ("language", "check storyboards and report problems"),
    "fix": ("language", "apply the safe fixes the diagnostics suggest, in place"),
    "compile": ("language", "compile a storyboard to the wire commands the model takes"),
    "plan": ("language", "show what plays when: scenes, beats, the end"),
    "explain": ("language", "explain a diagnostic code with an example"),
    "new": ("new", "write a starter storyboard from a preset (llv new --list)"),
    "schema": ("interop", "print the JSON Schema of the compiled Program and of trace records"),
    "import": ("interop", "turn a web-app JSON storyboard into a readable .llv"),
    "export": ("interop", "export to LongLive's offline inference formats"),
    "timeline": ("interop", "draw the plan as an SVG or HTML picture"),
    "fmt": ("editor", "format .llv files in the one canonical layout"),
    "lsp": ("editor", "run the language server over stdio"),
    "run": ("run", "compile a storyboard and run it on the simulator or Reactor's cloud"),
    "verify": ("run", "check a run's trace against the storyboard's plan"),
    "serve": ("serve", "run the LongLive-2.0 simulator on 127.0.0.1"),
    "preview": ("review", "render the storyboard's animatic to an MP4, faster than real time"),
    "report": ("review", "one self-contained HTML page about a take: video, timeline, verdict"),
    "clips": ("review", "cut a take into one MP4 per scene or per beat"),
    "direct": ("direct", "direct a running session from the terminal: shots, cuts, pause, reset, snap clips"),
    "take": ("direct", "write what played in a session (its trace) as a storyboard that replays it"),
}

from .exits import EXIT_FINDINGS, EXIT_HANGUP, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE  # noqa: E402

__all__ = ["COMMANDS", "EXIT_FINDINGS", "EXIT_INTERNAL", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "main"]


def _usage() -> str:
    width = max(len(n) for n in COMMANDS)
    lines = [
        "usage: llv COMMAND [OPTIONS] ...",
        "",
        "llv: write LongLive-2.0 storyboards, check them, compile them and run them.",
        "",
        "commands:",
    ]
    lines += [f"  {name.ljust(width)}  {help_}" for name, (_, help_) in COMMANDS.items()]
    lines += ["", "Run `llv COMMAND --help` for a command's options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `llv` console script."""
    import argparse

    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage())
        return EXIT_OK if argv else EXIT_USAGE
    if argv[0] in ("-V", "--version"):
        from importlib.metadata import version

        print(f"llv {version('longlive-dsl')}")
        return EXIT_OK
    name = argv[0]
    if name not in COMMANDS:
        import difflib

        close = difflib.get_close_matches(name, COMMANDS, n=1)
        hint = f" (did you mean `{close[0]}`?)" if close else ""
        print(f"llv: unknown command `{name}`{hint}\n\n{_usage()}", file=sys.stderr)
        return EXIT_USAGE
    module = importlib.import_module(f"longlive_dsl.commands.{COMMANDS[name][0]}")
    parser = argparse.ArgumentParser(prog=f"llv {name}", description=COMMANDS[name][1])
    module.configure(name, parser)
    args = parser.parse_args(argv[1:])
    try:
        from .commands.files import output_clash

        clash = output_clash(name, args)
        if clash is not None:
            print(f"error: {clash}; name another file", file=sys.stderr)
            return EXIT_USAGE
        with _signals_interrupt():
            return int(module.run(name, args) or 0)
    except KeyboardInterrupt as e:
        hangup = isinstance(e, _Hangup)
        with contextlib.suppress(OSError, ValueError):
            print("llv: the terminal went away" if hangup else "llv: interrupted", file=sys.stderr)
        return EXIT_HANGUP if hangup else EXIT_INTERRUPTED
    except BrokenPipeError:
        # Output piped into `head` and the like: not an error of ours.
        sys.stderr.close()
        return EXIT_OK
    except Exception as e:  # a bug of ours: say so plainly; the traceback only on request
        if os.environ.get("LLV_DEBUG"):
            raise
        print(f"llv: internal error in `llv {name}`: {type(e).__name__}: {e}\n"
              "This is a bug in llv; run again with LLV_DEBUG=1 for the details and please report it.",
              file=sys.stderr)
        return EXIT_INTERNAL


class _Hangup(KeyboardInterrupt):
    """SIGHUP: the terminal closed or the ssh connection dropped."""


@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP end a command as Ctrl-C does, so its cleanup runs (a result being written
    leaves no temporary file behind). `llv run`, `direct` and `serve` put their own handlers over
    these while they play."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise _Hangup() if signum == signal.SIGHUP else KeyboardInterrupt()

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


if __name__ == "__main__":
    sys.exit(main())
