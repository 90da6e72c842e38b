"""`llv direct`: a full-screen terminal director (Textual) over a `LiveSession`.

Everything it does goes through the session API (longlive_dsl.connect); the screen only shows the
session's events and state. Keys:

- Enter: the prompt line fires a **shot now**; `+N text` / `@N text` schedule it (N chunks after the
  one being made / at session chunk N), clamped to the next chunk;
- Ctrl-X: the same as a **cut**;
- `{name}` in a prompt is the storyboard's define; on an empty prompt line, 1–9 fire the first nine
  defines as shots;
- Ctrl-P: pause / resume; Ctrl-R: reset (press `y` to confirm); Ctrl-S: snap clip (the last 10 s);
- Ctrl-Q or Ctrl-C: quit (the session is closed and deleted, the video and trace finished, the take written).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual import events as tevents
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Input, RichLog, Static

from .. import model
from ..program import Program
from ..runtime import Status
from ..runtime.live import (
    BeatFired,
    ChunkDone,
    CommandRefused,
    Declined,
    DirectError,
    Ended,
    Fault,
    LiveSession,
    Note,
    StatusChanged,
    Transport,
    parse_when,
)
from ..runtime.session import RunOptions
from .clip import CLIP_MEMORY, CLIP_SECONDS, ClipRing, write_clip

CUT_WARNING_CHUNKS = 8
"""The scene budget line warns "cut to continue" at this many chunks left, as the web app does."""

_WHEN = re.compile(r"^\s*([+@]\s*\d{1,7})\s+(.*)$", re.S)
_DEFINE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_-]*)\}")


@dataclass
class DirectOptions:
    """What `llv direct` was asked for: where to play and what to write."""

    plan: Program | None
    """The plan as `llv direct` compiled it (None: an empty plan)."""
    connect: dict[str, Any]
    defines: dict[str, str] = field(default_factory=dict)
    take: str | None = None
    trace: str | None = None
    clip_seconds: float = CLIP_SECONDS
    clip_dir: str = "."
    monitor: bool = False
    """Serve the live page (longlive_dsl/monitor) beside the terminal."""
    open_page: bool = True
    """With `monitor`: open the page in a browser where one can show."""


def split_line(line: str, defines: dict[str, str]) -> tuple[str | None, str]:
    """A prompt line as (the time, `+N`/`@N` or None, the prompt with `{name}` defines filled in)."""
    when = None
    m = _WHEN.match(line)
    if m is not None:
        when, line = m.group(1).replace(" ", ""), m.group(2)
        parse_when(when)

    def fill(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in defines:
            known = ", ".join(f"{{{n}}}" for n in defines) or "none"
            raise ValueError(f"`{{{name}}}` is not defined (defines: {known})")
        return defines[name]

    return when, _DEFINE.sub(fill, line).strip()


class PromptLine(Input):
    """The prompt line; on an empty line, 1-9 fire defines, and `y` answers the reset question."""

    async def _on_key(self, event: tevents.Key) -> None:
        director = self.app
        assert isinstance(director, Director)
        if director.confirming_reset or (event.character and event.character in "123456789" and not self.value):
            event.stop()
            event.prevent_default()
            await director.quick_key(event)
            return
        await super()._on_key(event)


class Director(App[int]):
    """The terminal director."""

    CSS = """
    #status { height: 1; background: $boost; }
    #playing { height: 2; }
    #budget { height: 1; }
    #upcoming { height: 4; }
    #timeline { height: 2; }
    #log { height: 1fr; border: round $primary; }
    """
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("ctrl+x", "cut_now", "cut now", priority=True),
        Binding("ctrl+p", "pause_or_resume", "pause/resume", priority=True),
        Binding("ctrl+r", "reset_session", "reset session", priority=True),
        Binding("ctrl+s", "snap", "snap clip", priority=True),
        Binding("ctrl+n", "reconnect", "reconnect", priority=True),
        Binding("ctrl+q", "quit_session", "quit", priority=True),
        Binding("ctrl+c", "quit_session", "quit", priority=True, show=False),
    ]

    def __init__(self, options: DirectOptions):
        super().__init__()
        self.options = options
        self.session: LiveSession | None = None
        self.transport = "waiting"
        self.ring = ClipRing(options.clip_seconds)
        """The last `clip_seconds` of decoded frames (at most CLIP_MEMORY), for a snap clip (only the event loop touches it)."""
        self.exit_code = 0
        self.confirming_reset = False
        self._quit = asyncio.Event()
        self._choice: asyncio.Queue[str] = asyncio.Queue()
        self.offering_reconnect = False
        self.traces: list[str] = []
        self._clips = 0
        self.written: list[str] = []
        self.monitor: Any = None
        """The live page (`--monitor`), started with the first session, fed by every session after it."""
        self._page: Any = None
        self._chunk_offset = 0
        """Session chunks played by the sessions before a reconnect (the page's playhead goes on from there)."""

    # -- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        yield Static(id="playing")
        yield Static(id="budget")
        yield Static(id="upcoming")
        yield Static(id="timeline")
        yield RichLog(id="log", wrap=True, markup=False)
        yield PromptLine(placeholder="shot now: Enter · cut: Ctrl-X · +N/@N schedule · {define} · 1-9 defines", id="line")

    def on_mount(self) -> None:
        self.query_one("#line", Input).focus()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            try:
                loop.add_signal_handler(sig, self._signalled, sig)
            except (NotImplementedError, RuntimeError, ValueError):
                pass
        self.run_worker(self._direct(), exclusive=True)
        self.set_interval(0.25, self.refresh_panels)
        self.refresh_panels()

    def say(self, text: str, style: str = "") -> None:
        """One line in the log panel."""
        self.query_one("#log", RichLog).write(Text(f"{time.strftime('%H:%M:%S')} {text}", style=style))

    # -- the session -----------------------------------------------------------------------------

    async def _direct(self) -> None:
        try:
            await self._sessions()
        finally:
            if self.monitor is not None:
                monitor, self.monitor, self._page = self.monitor, None, None
                await asyncio.to_thread(monitor.close)  # the final state to every tab, then the server stops
        self._write_take()
        self.exit(self.exit_code)

    async def _sessions(self) -> None:
        """One session, then (after a fault, when asked) a new one continuing the plan, until quit."""
        from .api import connect, rest_of_plan

        plan: Any = self.options.plan
        number = 1
        while True:
            trace, video = self._outputs(number)
            self.traces += [trace] if trace else []
            options = dict(self.options.connect, video=video)
            faulted = False
            try:
                async with connect(plan, trace=trace, options=RunOptions(on_frame=self._on_frame), **options) as session:
                    self.session = session
                    if self.options.monitor:
                        await self._feed_monitor(session)
                    self.transport = "playing" if session.started else "type a shot to start"
                    watcher = asyncio.ensure_future(self._watch(session))
                    ended = asyncio.ensure_future(session.wait_ended())
                    quit_ = asyncio.ensure_future(self._quit.wait())
                    await asyncio.wait({ended, quit_}, return_when=asyncio.FIRST_COMPLETED)
                    ended.cancel()
                    quit_.cancel()
                    faulted = session.faulted and not self._quit.is_set()
                    self.say("closing the session…")
                await watcher
            except DirectError as e:
                self.say(f"error: {e}", "red")
                self.exit_code = 1
            except Exception as e:  # a RunError opening the session, a PlanError
                failure = getattr(e, "failure", None)
                self.exit_code = failure.value if failure is not None else 2
                self.say(f"error: {getattr(e, 'message', e)}", "bold red")
                self.refresh_panels()
                await asyncio.sleep(1.0)
            if not faulted or self.session is None:
                break
            try:
                plan = rest_of_plan(self.session)
            except ValueError as e:
                self.say(f"cannot continue: {e}", "red")
                break
            self.say(f"Ctrl-N: reconnect to a new session continuing the plan from chunk "
                     f"{self.session.session_chunk} · Ctrl-Q: quit", "bold yellow")
            self.offering_reconnect = True
            self.refresh_panels()
            choice = await self._choice.get()
            self.offering_reconnect = False
            if choice != "reconnect":
                break
            number += 1
            self.exit_code = 0
            self._chunk_offset += self.session.session_chunk  # rest_of_plan's chunk 0 is this chunk
            self.say(f"reconnecting: session {number}")

    def _on_frame(self, frame: Any) -> None:
        """A decoded frame (RunOptions.on_frame, on the loop's thread): into the clip ring, and to the page when served."""
        self.ring.append(frame)
        monitor = self.monitor
        if monitor is not None:
            monitor.frame(frame)

    async def _feed_monitor(self, session: LiveSession) -> None:
        """Start the page for the session's plan (once), then tell it where this session is."""
        from ..runtime.display import Redacting
        from ..runtime.trace import Redactor

        if self.monitor is None:
            from ..monitor import start_for_run

            api_key = self.options.connect.get("api_key")
            try:
                self.monitor = await asyncio.to_thread(start_for_run, session.program, _Say(self),
                                                       open_page=self.options.open_page)
            except OSError as e:
                self.say(f"error: cannot start the monitor: {e}", "red")
                self.options.monitor = False
                return
            # the page sees what the terminal shows, with a key a server echoes redacted the same way
            self._page = Redacting(self.monitor, Redactor([api_key] if api_key else []))
        self._page.status(session.status, session.status_detail)
        self._page.progress(self._page_progress(session))

    def _page_progress(self, session: LiveSession) -> Any:
        """The session's progress on the page's chunk clock (a reconnected session goes on from the last)."""
        import dataclasses

        p = session.progress
        return dataclasses.replace(p, chunks_done=p.chunks_done + self._chunk_offset,
                                   stops_at=p.stops_at + self._chunk_offset)

    def _tell_page(self, event: Any) -> None:
        """A session event, as the page shows it (status, progress, fired beats, problems, notes)."""
        page, s = self._page, self.session
        if page is None:
            return
        if isinstance(event, StatusChanged):
            page.status(event.status, event.detail)
        elif isinstance(event, ChunkDone) and s is not None:
            page.progress(self._page_progress(s))
        elif isinstance(event, BeatFired):
            page.info(f"chunk {event.session_chunk + self._chunk_offset}: {event.kind} fired ({event.source}) "
                      f"“{event.prompt}”")
        elif isinstance(event, Transport):
            page.info(f"{event.what}")
        elif isinstance(event, CommandRefused):
            page.problem(f"the model refused `{event.command}`: {event.reason}")
        elif isinstance(event, Note):
            page.info(event.text)
        elif isinstance(event, Fault):
            page.problem(f"FAULT: {event.message}")

    def _outputs(self, number: int) -> tuple[str | None, str | None]:
        """The trace and video of session `number` (the first as given; later ones beside them, `.sessionN`)."""
        trace, video = self.options.trace, self.options.connect.get("video")
        if number == 1:
            return trace, video
        def beside(path: str | None) -> str | None:
            if not path:
                return None
            stem, ext = os.path.splitext(path)
            return f"{stem}.session{number}{ext}"
        return beside(trace), beside(video)

    async def _watch(self, session: LiveSession) -> None:
        async for event in session.events():
            self._on_event(event)

    def _on_event(self, event: Any) -> None:
        self._tell_page(event)
        if isinstance(event, BeatFired):
            self.say(f"chunk {event.session_chunk}: {event.kind} ({event.source}) “{event.prompt}”", "green")
        elif isinstance(event, Transport):
            self.transport = {"paused": "paused", "resumed": "playing", "reset": "reset: type a shot to start",
                              "complete": "complete: reset to play again"}[event.what]
            self.say(f"{event.what}", "yellow")
        elif isinstance(event, CommandRefused):
            self.say(f"the model refused `{event.command}`: {event.reason}", "red")
        elif isinstance(event, Note):
            self.say(event.text)
        elif isinstance(event, Fault):
            self.exit_code = event.failure.value
            self.transport = "FAULT"
            self.say(f"FAULT: {event.message}", "bold red")
        elif isinstance(event, Ended):
            if event.result.failure is not None and not self.exit_code:
                self.exit_code = event.result.exit_code
        if isinstance(event, (ChunkDone, StatusChanged, Transport, BeatFired)):
            self.refresh_panels()

    def _write_take(self) -> None:
        if not self.options.take or not self.traces:
            return
        from ..runtime.trace import read_trace
        from .take import read_take, write_take

        try:
            takes = [read_take(read_trace(trace)) for trace in self.traces]
            take = takes[0]
            take.segments = [seg for t in takes for seg in t.segments]  # a reconnect continues in the next file
            if take.segments:
                self.written = write_take(take, self.options.take, self.traces[0])
        except (OSError, ValueError) as e:
            self.say(f"error: cannot write the take: {e}", "red")
            self.exit_code = self.exit_code or 11

    # -- panels ----------------------------------------------------------------------------------

    def refresh_panels(self) -> None:
        """Redraw the status, prompt, budget, upcoming beats and timeline panels."""
        s = self.session
        chunk = s.session_chunk if s else 0
        status, detail = (s.status, s.status_detail) if s else (Status.DISCONNECTED, "")
        detail = f" ({detail})" if detail else ""
        frames = s.progress.frames if s else 0
        self.query_one("#status", Static).update(Text(
            f" {status.value}{detail} · {self.transport} · session chunk {chunk} · {frames} frames", "bold"))
        prompt = (s.progress.prompt if s else None) or "—"
        self.query_one("#playing", Static).update(Text(f" prompt: {prompt}"))
        if s is not None and s.started:
            in_scene = chunk - s.scene_start
            left = model.scene_completes_at(s.scene_start) - chunk
            warn = left <= CUT_WARNING_CHUNKS
            text = Text(f" scene budget: chunk {in_scene} of {model.SCENE_BUDGET_CHUNKS}, {left} left")
            if warn:
                text.append("  CUT TO CONTINUE", "bold red")
        else:
            text = Text(f" scene budget: — of {model.SCENE_BUDGET_CHUNKS}")
        self.query_one("#budget", Static).update(text)
        upcoming = s.upcoming() if s else []
        lines = [f" in {at - chunk:>3} · chunk {at:>4} {kind:<6} {source:<4} “{_short(p, 60)}”"
                 for at, kind, p, source in upcoming if s and at >= s.next_chunk][:4]
        self.query_one("#upcoming", Static).update("\n".join(lines) or " no beats to come")
        self.query_one("#timeline", Static).update(self._timeline(s, upcoming))

    def _timeline(self, s: LiveSession | None, upcoming: list[tuple[int, str, str, str]]) -> Text:
        width = max(20, self.size.width - 4)
        chunk = s.session_chunk if s else 0
        start = max(0, chunk - width // 4)
        marks: dict[int, str] = {}
        if s is not None:
            for b in s.fired:
                marks[b.session_chunk] = "C" if b.kind == model.CUT else "o" if b.kind == model.OPENER else "s"
        for at, kind, _, _ in upcoming:
            marks[at] = "c" if kind == model.CUT else "·" if kind == model.SHOT else "o"
        line = Text(" ")
        for c in range(start, start + width):
            ch = marks.get(c, "-")
            line.append("▶" if c == chunk else ch, "bold reverse" if c == chunk else "")
        return line + Text(f"\n {start}…{start + width - 1}  ▶ playhead · o opener · s shot · C cut (fired) · c/· to come")

    # -- keys ------------------------------------------------------------------------------------

    async def quick_key(self, event: tevents.Key) -> None:
        """A key the prompt line passed up: the answer to the reset question, or a define's number."""
        if self.confirming_reset:
            self.confirming_reset = False
            if event.key == "y":
                await self._do(model.RESET, None)
            else:
                self.say("reset cancelled")
            return
        if event.character:
            names = list(self.options.defines)
            n = int(event.character) - 1
            if n < len(names):
                self.say(f"define {{{names[n]}}} as a shot")
                await self._do(model.SHOT, "{" + names[n] + "}")
            else:
                self.say(f"no define number {n + 1}")

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value
        event.input.value = ""
        if text.strip():
            await self._do(model.SHOT, text)

    async def action_cut_now(self) -> None:
        line = self.query_one("#line", Input)
        text, line.value = line.value, ""
        if text.strip():
            await self._do(model.CUT, text)
        else:
            self.say("type the cut's prompt first, then Ctrl-X")

    async def action_pause_or_resume(self) -> None:
        s = self.session
        await self._do(model.RESUME if s is not None and s.paused else model.PAUSE, None)

    def action_reset_session(self) -> None:
        self.confirming_reset = True
        self.say("reset the session? prompt, schedule and clocks are cleared: press y to confirm", "bold yellow")

    async def action_snap(self) -> None:
        frames = self.ring.frames()
        self._clips += 1
        stem = os.path.splitext(os.path.basename(self.options.take or "take.llv"))[0]
        path = os.path.join(self.options.clip_dir, f"{stem}-clip-{self._clips}.mp4")
        try:
            n = await asyncio.to_thread(write_clip, frames, path)
        except (OSError, ValueError) as e:
            self.say(f"no clip: {e}", "red")
            return
        held = f"; the ring holds at most {CLIP_MEMORY // 2**20} MiB of frames" if self.ring.memory_bound else ""
        self.say(f"snap clip: {path} ({n} frames, {n / model.FPS:.1f} s{held})", "cyan")

    def _signalled(self, sig: signal.Signals) -> None:
        """SIGTERM, SIGINT or SIGHUP: close the session cleanly and exit as `llv run` would (130, 129)."""
        from ..runtime import Failure

        self.exit_code = (Failure.HANGUP if sig == signal.SIGHUP else Failure.INTERRUPTED).value
        self.action_quit_session()

    def action_quit_session(self) -> None:
        if self.offering_reconnect:
            self._choice.put_nowait("quit")
        self._quit.set()

    def action_reconnect(self) -> None:
        if self.offering_reconnect:
            self._choice.put_nowait("reconnect")
        else:
            self.say("Ctrl-N reconnects after a fault; the session is fine")

    async def _do(self, action: str, text: str | None) -> None:
        s = self.session
        if s is None:
            self.say("not connected yet")
            return
        try:
            if action in (model.SHOT, model.CUT):
                assert text is not None
                when, prompt = split_line(text, self.options.defines)
                beat = await (s.shot(prompt, at=when) if action == model.SHOT else s.cut(prompt, at=when))
                where = "the next chunk" if beat.at is None else f"chunk {beat.at}"
                clamped = " (clamped to the next chunk)" if beat.clamped else ""
                self.say(f"{action} → {where}{clamped}: “{_short(prompt, 60)}”")
                if self._page is not None:
                    at = "the next chunk" if beat.at is None else f"chunk {beat.at + self._chunk_offset}"
                    self._page.info(f"live {action} → {at}{clamped}: “{prompt}”")
            elif action == model.PAUSE:
                await s.pause()
            elif action == model.RESUME:
                await s.resume()
            elif action == model.RESET:
                await s.reset()
        except Declined as e:
            self.say(f"refused: {e.reason}", "bold red")
            self.say(f"  fix: {e.fix}", "red")
        except (DirectError, ValueError) as e:
            self.say(f"error: {e}", "red")
        self.refresh_panels()


class _Say:
    """The monitor's start-up note (its URL), as a line in the log panel."""

    def __init__(self, director: Director) -> None:
        self.director = director

    def info(self, text: str) -> None:
        """The line."""
        self.director.say(text, "cyan")


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
