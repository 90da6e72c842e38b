"""What a person sees during `llv run`: a live panel on a terminal, plain lines anywhere else.

Both show the connection state, the scene and prompt playing, the chunk within the scene's 48,
the session's chunk count against the end, and each command error as it comes.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

from .. import model
from . import Status

if TYPE_CHECKING:  # the session (and pydantic behind it) is loaded only by the commands that run one
    from .session import Progress


def _short(text: str | None, width: int = 70) -> str:
    if not text:
        return ""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _scene_label(p: Progress) -> str:
    if p.scene_number is None:
        return "scene ?"
    return f"scene {p.scene_number}" + (f" “{p.scene_name}”" if p.scene_name else "")


def _bar(done: int, total: int, label: str) -> Any:
    from rich.progress_bar import ProgressBar
    from rich.table import Table

    row = Table.grid(padding=(0, 1))
    row.add_column(width=30)
    row.add_column()
    row.add_row(ProgressBar(total=total, completed=done, width=30), label)
    return row


class PlainDisplay:
    """One line per event, for logs and pipes."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self._last_status: Status | None = None

    def _print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def status(self, status: Status, detail: str) -> None:
        if status == self._last_status and not detail:
            return
        self._last_status = status
        self._print(f"[{status.value}] {detail}".rstrip())

    def info(self, text: str) -> None:
        self._print(f"note: {text}")

    def progress(self, p: Progress) -> None:
        end = f"/{p.stops_at}" if p.stops_at else ""
        self._print(
            f"chunk {p.chunks_done}{end} · {_scene_label(p)} chunk {p.chunk_in_scene}/{model.SCENE_BUDGET_CHUNKS}"
            f" · {p.frames} frames · {_short(p.prompt)}"
        )

    def problem(self, text: str) -> None:
        self._print(text)

    def close(self) -> None:
        pass


class RichDisplay:
    """A live panel (rich) redrawn on every event, with problems printed above it."""

    def __init__(self, stream: TextIO | None = None, source: str = ""):
        from rich.console import Console
        from rich.live import Live

        from .session import Progress

        self.console = Console(file=stream or sys.stderr)
        self.source = source
        self.state = Status.DISCONNECTED
        self.detail = ""
        self.p = Progress()
        self.errors = 0
        self.t0 = time.monotonic()
        self.live = Live(self._render(), console=self.console, refresh_per_second=8, transient=False)
        self.live.start()

    def _render(self) -> Any:
        from rich.panel import Panel
        from rich.table import Table

        colour = {Status.READY: "green", Status.WAITING: "yellow", Status.CONNECTING: "cyan"}.get(self.state, "red")
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", justify="right")
        grid.add_column()
        grid.add_row("state", f"[{colour}]{self.state.value}[/] {self.detail}")
        p = self.p
        grid.add_row("scene", _scene_label(p))
        grid.add_row("prompt", _short(p.prompt, 90) or "[dim]—[/]")
        budget = model.SCENE_BUDGET_CHUNKS
        grid.add_row("in scene", _bar(p.chunk_in_scene, budget, f"chunk {p.chunk_in_scene}/{budget}"))
        total = max(p.stops_at, p.chunks_done, 1)
        grid.add_row(
            "session",
            _bar(p.chunks_done, total, f"chunk {p.chunks_done}/{p.stops_at or '?'} · {p.frames} frames · {time.monotonic() - self.t0:.1f} s"),
        )
        if self.errors:
            grid.add_row("errors", f"[red]{self.errors} command error(s)[/]")
        return Panel(grid, title=f"llv run {self.source}".strip(), expand=False)

    def _refresh(self) -> None:
        self.live.update(self._render())

    def status(self, status: Status, detail: str) -> None:
        self.state, self.detail = status, detail
        self._refresh()

    def info(self, text: str) -> None:
        self.console.print(f"[dim]note:[/] {text}", highlight=False)

    def progress(self, p: Progress) -> None:
        self.p = p
        self._refresh()

    def problem(self, text: str) -> None:
        self.errors += 1
        from rich.text import Text

        self.console.print(Text(text, style="red"))
        self._refresh()

    def close(self) -> None:
        self._refresh()
        self.live.stop()


def make_display(stream: TextIO | None = None, source: str = "", force_plain: bool = False) -> Any:
    """A RichDisplay on a terminal, a PlainDisplay otherwise."""
    stream = stream or sys.stderr
    if not force_plain and hasattr(stream, "isatty") and stream.isatty():
        return RichDisplay(stream, source)
    return PlainDisplay(stream)


def printable(text: str) -> str:
    """`text` for the terminal, its lines kept: within each, control, separator and bidi-override
    characters (escape sequences, bells, carriage returns) are written as escapes, as diagnostics are."""
    from ..diagnostics import printable as escaped

    return "\n".join(escaped(line) for line in text.split("\n"))


class Redacting:
    """Passes every text for the terminal through the trace's redactor first (a server could echo a key),
    and defuses control characters (a server could send escape sequences to the terminal)."""

    def __init__(self, display: Any, redactor: Any):
        self.display, self.redactor = display, redactor

    def _clean(self, text: str) -> str:
        return printable(self.redactor.text(text))

    def status(self, status: Any, detail: str) -> None:
        self.display.status(status, self._clean(detail))

    def info(self, text: str) -> None:
        self.display.info(self._clean(text))

    def progress(self, progress: Any) -> None:
        if progress.prompt:
            progress = dataclasses.replace(progress, prompt=self._clean(progress.prompt))
        self.display.progress(progress)

    def problem(self, text: str) -> None:
        self.display.problem(self._clean(text))

    def close(self) -> None:
        self.display.close()
