"""One run: connect, check and send the Program's commands, follow the chunk clock, tear down.

The lifecycle is reported as `disconnected → connecting → waiting → ready` (and back to
`disconnected`). Setup commands (`set_seed`, `set_shot`, `schedule_*`) go out in the Program's
order and each is acknowledged by its message (`shot_set`, `shot_scheduled`, ...) or by the
`state` snapshot; then `start`. A `command_error` is mapped back through the Program's source map
to the `.llv` line that produced the command and shown like a compiler diagnostic. The run ends
when the session has completed `Program.end` chunks, or at `generation_complete`.

Every phase has a deadline (`RunOptions`): signalling (session to SDP answer), the connection
(ICE and both channels open), the first video frame after `start`, then the silence allowed
between messages. A video or trace that cannot be written ends the run at once (`Failure.OUTPUT`),
whatever phase it is in.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from .. import model
from ..program import Program, SourceSpan
from . import Failure, RunError, Status
from .peer import Message, Peer
from .schema import CommandSchema
from .signalling import Signalling
from .trace import Trace

WATCH_SECONDS = 0.25
"""How often a session looks at the peer's liveness."""
PROBE_SECONDS = 1.0
"""After this long with no frame and no message, the peer is probed (`requestSchema`)."""
FAULT_SECONDS = 2.5
"""After this long with no frame, no message and no answer to the probes, the peer is given up on."""
MESSAGE_BACKLOG = 10_000
"""Messages from the server waiting to be handled at most; a server that sends more, faster than the
run can handle them, is flooding it, and the run ends (exit 10) rather than grow without bound."""


@dataclass
class Progress:
    """Where the run is, for the display."""

    chunks_done: int = 0
    chunk_in_scene: int = 0
    scene_number: int | None = None
    scene_name: str | None = None
    prompt: str | None = None
    stops_at: int = 0
    frames: int = 0


class Listener(Protocol):
    """What a run reports to (the rich display, plain lines, a test)."""

    def status(self, status: Status, detail: str) -> None: ...
    def info(self, text: str) -> None: ...
    def progress(self, progress: Progress) -> None: ...
    def problem(self, text: str) -> None: ...


class NullListener:
    def status(self, status: Status, detail: str) -> None:
        pass

    def info(self, text: str) -> None:
        pass

    def progress(self, progress: Progress) -> None:
        pass

    def problem(self, text: str) -> None:
        pass


@dataclass
class RunOptions:
    """Knobs of one run; the defaults suit the cloud at real speed."""

    video: str | os.PathLike[str] | None = None
    fps: int = model.FPS
    time_scale: float = 1.0
    signalling_timeout: float = 60.0
    """Seconds from the first call to the SDP answer, not counting waits for capacity (429)."""
    call_timeout: float = 30.0
    """Seconds one HTTP call may take in all."""
    connect_timeout: float = 20.0
    """Seconds from the answer until the peer is connected and both channels are open (ICE)."""
    first_frame_timeout: float | None = None
    """Seconds from `start` acknowledged to the first video frame (default: 4 chunks, at least 30 s)."""
    ack_timeout: float = 10.0
    schema_timeout: float = 5.0
    silence_timeout: float | None = None
    check_schema: bool = True
    on_frame: Callable[[Any], None] | None = None
    """Also called with every recorded frame, on the loop's thread (`llv run --monitor`: Monitor.frame); must not block."""

    def chunk_wall_seconds(self) -> float:
        """Wall time of the longest chunk any clock profile has (the silence timeout counts in these)."""
        longest = max(max(c.first_chunk_frames, c.later_chunk_frames) for c in model.CLOCKS.values())
        return longest / self.fps / max(self.time_scale, 1e-6)

    def silence(self) -> float:
        if self.silence_timeout is not None:
            return self.silence_timeout
        return max(10.0, 8 * self.chunk_wall_seconds())

    def first_frame(self) -> float:
        if self.first_frame_timeout is not None:
            return self.first_frame_timeout
        return max(30.0, 4 * self.chunk_wall_seconds())


@dataclass
class RunResult:
    """How a run ended; `exit_code` is what `llv run` returns."""

    failure: Failure | None = None
    message: str = "done"
    chunks_done: int = 0
    frames_received: int = 0
    frames_recorded: int = 0
    frames_expected: int | None = None
    """Frames the model says it sent up to the end (None when it did not say)."""
    frames_dropped: int = 0
    """Of those, frames that never arrived."""
    command_errors: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return 0 if self.failure is None else self.failure.value


# Which message acknowledges which command.
_ACK_MESSAGE = {
    model.SET_SHOT: model.SHOT_SET,
    model.SCHEDULE_SHOT: model.SHOT_SCHEDULED,
    model.SCHEDULE_SCENE_CUT: model.SCENE_CUT_SCHEDULED,
    model.START: model.GENERATION_STARTED,
    model.PAUSE: model.GENERATION_PAUSED,
    model.RESUME: model.GENERATION_RESUMED,
    model.RESET: model.GENERATION_RESET,
}
_ACKS = frozenset(_ACK_MESSAGE.values())


@dataclass
class _Sent:
    index: int
    type: str
    data: dict[str, Any]
    acked: bool = False
    error: str | None = None
    settled: asyncio.Future[str | None] | None = None
    """Resolved when the command is acknowledged (None) or refused (the reason); a live action awaits it."""


def render_command_error(
    program: Program,
    index: int | None,
    command: str,
    reason: str,
    color: bool = False,
    sources: dict[str, str | None] | None = None,
) -> str:
    """A refused command as a compiler-style diagnostic pointing at the `.llv` line behind it.

    `sources` keeps the files' texts between calls, so each file is read once however many
    commands are refused.
    """
    from ..diagnostics import ERROR, Diagnostic, Span, render_text

    message = f"the model refused `{command}`: {reason}"
    span = span_of(program, index) if index is not None else None
    if span is None:
        return f"error[run]: {message}"
    sources = {} if sources is None else sources
    if span.file not in sources:
        sources[span.file] = _read_source(span.file)
    source = sources[span.file]
    start = end = 0
    if source is not None:
        start = _offset(source, span.line, span.column)
        end = _offset(source, span.end_line, span.end_column)
    diag = Diagnostic(
        code="run",
        severity=ERROR,
        message=message,
        file=span.file,
        span=Span(span.line, span.column, span.end_line, span.end_column, start, end),
        label="this beat's command was refused",
        notes=(f"command {(index or 0) + 1} of the program (`{command}`); the run stops here",),
    )
    return render_text(diag, source, color)


def span_of(program: Program, index: int) -> SourceSpan | None:
    for entry in program.source_map:
        if entry.command_index == index:
            return entry.span
    return None


def _read_source(path: str) -> str | None:
    from ..source import SourceError, read_source

    if path == "-":  # read_source's name for stdin, long since read
        return None
    try:
        return read_source(path)
    except SourceError:
        return None


def _offset(source: str, line: int, column: int) -> int:
    pos = 0
    for _ in range(line - 1):
        nl = source.find("\n", pos)
        if nl == -1:
            return len(source)
        pos = nl + 1
    return min(len(source), pos + column - 1)


class Session:
    """Plays one Program over one signalling front door."""

    def __init__(self, program: Program, signalling: Signalling, trace: Trace, options: RunOptions, listener: Listener):
        self.program = program
        self.signalling = signalling
        self.trace = trace
        self.options = options
        self.listener = listener
        self.peer: Peer | None = None
        self.recorder: Any = None
        self.sent: list[_Sent] = []
        # The sent commands neither acknowledged nor refused yet, oldest first: matching a
        # message looks only at these, not at the thousands a long storyboard has settled.
        self._waiting: dict[int, _Sent] = {}
        self._sources: dict[str, str | None] = {}  # the .llv texts command errors point into
        self.progress = Progress(stops_at=program.stops_at)
        self.result = RunResult()
        self._events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self._schema_doc: dict[str, Any] | None = None
        self.schema: CommandSchema | None = None  # the model's, once read
        self._schema_event = asyncio.Event()
        self._t0 = time.monotonic()
        self._done_reason: str | None = None
        self._frames_emitted = 0
        self._frame_limit: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._output_failed = asyncio.Event()
        self._output_message: str | None = None
        self._started_at: float | None = None
        self._last_heard = time.monotonic()  # the last frame or message from the peer
        self._last_message = time.monotonic()  # the model's last message (the silence timeout counts from it)
        self._probed = 0.0
        self._probe_answered = False  # the runtime has answered `requestSchema` on the channel
        self._flooded = False  # more than MESSAGE_BACKLOG messages were waiting: the rest are not queued

    # -- reporting ---------------------------------------------------------------------------

    def _status(self, status: Status, detail: str = "") -> None:
        self.trace.write("status", status=status.value, detail=detail)
        self.listener.status(status, detail)
        self.result.timings.setdefault(status.value, time.monotonic() - self._t0)

    def _mark(self, name: str) -> None:
        if name not in self.result.timings:
            self.result.timings[name] = time.monotonic() - self._t0
            self.trace.write("mark", what=name)

    # -- callbacks from the peer (event loop thread) -----------------------------------------

    def _on_message(self, msg: Message) -> None:
        self._last_heard = time.monotonic()
        if msg.scope == "runtime":
            if msg.type == "modelSchema":
                self._probe_answered = True
                self._schema_doc = msg.data
                self._schema_event.set()
            elif msg.type == "sessionEnded":
                self._queue("ended", msg.data.get("reason") or "no reason given")
            elif msg.type == "moderation":
                self._queue("ended", f"moderation: {msg.data.get('message') or msg.data}")
            return
        self._last_message = time.monotonic()  # the model's own messages: a probe's answer is not one
        self._queue("message", msg)

    def _queue(self, kind: str, payload: Any) -> None:
        """Hand a message to the run, or, past `MESSAGE_BACKLOG` unhandled, end the run as flooded."""
        if self._flooded:
            return
        if self._events.qsize() >= MESSAGE_BACKLOG:
            self._flooded = True
            self.trace.write("event", what="message flood", backlog=self._events.qsize())
            kind, payload = "flood", self._events.qsize()
        self._events.put_nowait((kind, payload))

    def _on_frame(self, frame: Any) -> None:
        self._last_heard = time.monotonic()
        if "first_frame" not in self.result.timings:
            self._mark("first_frame")
            self.trace.write("video", event="first_frame", width=frame.width, height=frame.height)
        self.progress.frames += 1
        if self._frame_limit is not None and self.progress.frames > self._frame_limit:
            return  # past the end of the storyboard
        if self.recorder is not None:
            self.recorder.add(frame)
        if self.options.on_frame is not None:  # the monitor hook (longlive_dsl/monitor)
            self.options.on_frame(frame)

    def _on_closed(self, reason: str) -> None:
        self._queue("lost", reason)

    # -- the run -----------------------------------------------------------------------------

    async def run(self) -> RunResult:
        """Play the Program; never raises for a known failure: the result carries it."""
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self.trace.on_error = self._output_error
        try:
            if self.trace.error is not None:
                raise RunError(Failure.OUTPUT, self.trace.message() or "cannot write the trace")
            await self._until_output_fails(self._run())
        except RunError as e:
            self.result.failure, self.result.message = e.failure, e.message
        except asyncio.CancelledError as e:
            hangup = bool(e.args) and e.args[0] == "SIGHUP"
            self.result.failure = Failure.HANGUP if hangup else Failure.INTERRUPTED
            self.result.message = "the terminal hung up (SIGHUP)" if hangup else "interrupted"
            if hangup:
                self.trace.write("event", what="hangup")
            else:
                self.trace.write("event", what="interrupted")
        finally:
            await self._teardown()
        self.result.chunks_done = self.progress.chunks_done
        self.result.frames_received = self.progress.frames
        self._count_dropped()
        if self.result.failure is None and self._output_message is not None:
            self.result.failure, self.result.message = Failure.OUTPUT, self._output_message
        self.trace.write(
            "end",
            exit_code=self.result.exit_code,
            failure=self.result.failure.name if self.result.failure else None,
            message=self.result.message,
            chunks_done=self.result.chunks_done,
            frames_received=self.result.frames_received,
            frames_recorded=self.result.frames_recorded,
            frames_expected=self.result.frames_expected,
            frames_dropped=self.result.frames_dropped,
        )
        if self.result.failure is None and self.trace.error is not None:  # the `end` record itself failed
            self.result.failure, self.result.message = Failure.OUTPUT, self.trace.message() or "cannot write the trace"
        return self.result

    def _output_error(self, message: str) -> None:
        """The video or the trace cannot be written: end the run (callable from any thread)."""

        def mark() -> None:
            if self._output_message is None:
                self._output_message = message
            self._output_failed.set()

        if self._loop is None or threading.get_ident() == self._loop_thread:
            mark()
            return
        try:
            self._loop.call_soon_threadsafe(mark)
        except RuntimeError:  # the loop is gone: the run is over anyway
            pass

    async def _until_output_fails(self, work: Any) -> None:
        """Run `work`, ending it with a `Failure.OUTPUT` as soon as an output cannot be written."""
        main = asyncio.ensure_future(work)
        watch = asyncio.ensure_future(self._output_failed.wait())
        try:
            await asyncio.wait({main, watch}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            watch.cancel()
            if not main.done():
                main.cancel()
                try:
                    await main
                except (asyncio.CancelledError, Exception):
                    pass
        if main.done() and not main.cancelled():
            main.result()  # a RunError of the run itself
            return
        raise RunError(Failure.OUTPUT, self._output_message or "an output cannot be written")

    def _count_dropped(self) -> None:
        """Frames the model says it sent but that never arrived, warned about when any are missing."""
        expected = self._frames_emitted
        if self._frame_limit is not None:
            expected = min(expected, self._frame_limit)
        if expected <= 0:
            return
        self.result.frames_expected = expected
        self.result.frames_dropped = max(0, expected - self.progress.frames)
        dropped = self.result.frames_dropped
        if dropped and self.result.failure is None:
            share = 100 * dropped / expected
            self.listener.info(
                f"{dropped} of {expected} video frames never arrived ({share:.1f} %): the video is shorter than the take"
            )
            self.trace.write("event", what="frames dropped", frames_dropped=dropped, frames_expected=expected)
        if self.recorder is not None and self.recorder.frames_dropped:
            self.listener.info(f"{self.recorder.frames_dropped} frames were not recorded: the encoder fell behind")

    async def _run(self) -> None:
        await self._open()
        await self._send_setup()
        self._mark("setup_acked")
        await self._start()
        self._started_at = time.monotonic()
        await self._follow()

    async def _open(self) -> None:
        """Open the session and the peer, up to `ready` and the schema checked."""
        # aiortc takes ~0.5 s to import: do it while the session is being opened.
        importing = asyncio.get_running_loop().run_in_executor(None, _import_webrtc)
        limit = self.options.signalling_timeout
        try:
            async with asyncio.timeout(limit) as phase:
                # Waiting for capacity (429, Retry-After) has its own limit, --capacity-wait.
                self.signalling.on_capacity_wait = lambda seconds: phase.reschedule((phase.when() or 0) + seconds)
                await self.signalling.open()
                ice = await self.signalling.ice_servers()
                await importing
                if self.options.video:
                    from .recorder import Recorder

                    self.recorder = Recorder(self.options.video, fps=self.options.fps, on_error=self._output_error)
                self.peer = Peer(self.trace, self._on_message, self._on_frame, self._on_closed, ice)
                cid = await self.signalling.create_connection()
                sdp, mapping = await self.peer.offer()
                await self.signalling.send_offer(cid, sdp, mapping)
                answer = await self.signalling.wait_answer(cid)
        except TimeoutError:
            raise RunError(
                Failure.TIMEOUT, f"signalling did not finish within {limit:g} s (session to SDP answer, capacity waits aside)"
            ) from None
        try:
            async with asyncio.timeout(self.options.connect_timeout):
                await self.peer.accept(answer)
                await self._wait_open()
        except TimeoutError:
            raise RunError(
                Failure.TIMEOUT, f"the WebRTC connection did not open within {self.options.connect_timeout:g} s"
            ) from None
        self._status(Status.READY, f"session {self.signalling.session_id}")
        self.peer.resume_track()
        self.peer.start_pinging()
        if self.options.check_schema:
            await self._check_schema()

    async def _wait_open(self) -> None:
        assert self.peer is not None
        opener = asyncio.ensure_future(self.peer.wait_open())
        lost = asyncio.ensure_future(self._next_lost())
        try:
            await asyncio.wait({opener, lost}, return_when=asyncio.FIRST_COMPLETED)
        finally:  # neither outlives the wait, not even when the connect deadline cancels it
            opener.cancel()
            lost.cancel()
        if opener.done() and not opener.cancelled():
            return
        raise RunError(Failure.CONNECTION_LOST, f"the connection failed while opening: {lost.result()}")

    async def _next_lost(self) -> str:
        while True:
            kind, payload = await self._events.get()
            if kind in ("lost", "ended"):
                return str(payload)

    async def _check_schema(self) -> None:
        assert self.peer is not None
        self.peer.send_runtime("requestSchema")
        try:
            await asyncio.wait_for(self._schema_event.wait(), self.options.schema_timeout)
        except TimeoutError:
            self._schema_doc = await self.signalling.model_schema()
        if not self._schema_doc:
            self.listener.info("the model sent no schema: commands are not checked before sending")
            self.trace.write("event", what="no schema")
            return
        schema = self.schema = CommandSchema(self._schema_doc)
        problems = []
        for i, cmd in enumerate(self.program.commands):
            data = cmd.data.model_dump(mode="json")
            for why in schema.check(cmd.type, data):
                reason = f"{why} (the runtime would drop it silently)"
                problems.append(render_command_error(self.program, i, cmd.type, reason, sources=self._sources))
        if problems:
            for p in problems:
                self.listener.problem(p)
            self.result.command_errors += problems
            raise RunError(Failure.COMMAND_ERROR, f"{len(problems)} command(s) do not fit the model's schema; nothing was sent")

    async def _send_setup(self) -> None:
        """Send every command before `start`, then wait for their acknowledgements."""
        assert self.peer is not None
        for i, cmd in enumerate(self.program.commands):
            if cmd.type == model.START:
                break
            self._send(i, cmd.type, cmd.data.model_dump(mode="json"))
        await self._await_acks()

    def _send(self, index: int, type_: str, data: dict[str, Any]) -> None:
        assert self.peer is not None
        self._track(index, type_, data)
        self.peer.send_command(type_, data)

    def _track(self, index: int, type_: str, data: dict[str, Any]) -> None:
        s = _Sent(index, type_, data)
        self.sent.append(s)
        self._waiting[index] = s

    def _settle(self, s: _Sent, error: str | None = None) -> None:
        """Mark a sent command acknowledged, or refused with `error`."""
        if error is None:
            s.acked = True
        else:
            s.error = error
        self._waiting.pop(s.index, None)
        if s.settled is not None and not s.settled.done():
            s.settled.set_result(error)

    async def _await_acks(self) -> None:
        deadline = time.monotonic() + self.options.ack_timeout
        while self._waiting:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                missing = list(self._waiting.values())
                names = ", ".join(f"`{s.type}`" for s in missing)
                self.listener.info(f"no acknowledgement within {self.options.ack_timeout:g} s for {names}; going on")
                self.trace.write("event", what="unacknowledged", commands=[s.index for s in missing])
                for s in missing:
                    self._settle(s)
                break
            try:
                kind, payload = await asyncio.wait_for(self._events.get(), remaining)
            except TimeoutError:
                continue
            self._handle(kind, payload)
        self._raise_command_errors()

    def _raise_command_errors(self) -> None:
        errors = [s for s in self.sent if s.error is not None]
        if errors:
            raise RunError(
                Failure.COMMAND_ERROR,
                f"the model refused {len(errors)} command(s) of the program",
            )

    async def _start(self) -> None:
        starts = [i for i, c in enumerate(self.program.commands) if c.type == model.START]
        index = starts[0] if starts else len(self.program.commands)
        self._send(index, model.START, {})
        await self._await_acks()
        self._mark("started")
        # Commands after `start` in the Program (none today) go out now, in order.
        for i, cmd in enumerate(self.program.commands[index + 1 :], index + 1):
            self._send(i, cmd.type, cmd.data.model_dump(mode="json"))

    async def _follow(self) -> None:
        """Follow the chunk clock until the end, a failure, silence, an unresponsive peer, or no first frame in time.

        Without an explicit `silence_timeout`, the peer's liveness is watched (`_unresponsive`): a dead or
        frozen server ends the run within FAULT_SECONDS rather than after the silence timeout.
        """
        silence = self.options.silence()
        first_frame = self.options.first_frame()
        watch = self.options.silence_timeout is None
        self._last_heard = self._last_message = time.monotonic()
        while self._done_reason is None:
            wait = silence
            waiting_for_video = "first_frame" not in self.result.timings and self._started_at is not None
            if waiting_for_video:
                left = self._started_at + first_frame - time.monotonic()  # type: ignore[operator]
                if left <= 0:
                    raise RunError(Failure.TIMEOUT, f"no video frame arrived within {first_frame:g} s of `start`")
                wait = min(wait, left)
            if watch:
                wait = min(wait, WATCH_SECONDS)
            try:
                kind, payload = await asyncio.wait_for(self._events.get(), wait)
            except TimeoutError:
                if watch:
                    self._raise_if_unresponsive()
                if time.monotonic() - self._last_message < silence - 1e-3:
                    continue  # a deadline checked at the top, or the watch's own tick
                raise RunError(
                    Failure.CONNECTION_LOST,
                    f"the data channel went silent: no message from the model for {silence:g} s",
                ) from None
            self._handle(kind, payload)
            self._raise_command_errors()
        self.result.message = self._done_reason
        await self._drain_frames()

    def _generating(self) -> bool:
        """Whether the model should be sending video now (started, not paused, not complete)."""
        return self._started_at is not None and self._done_reason is None

    def _unresponsive(self) -> str | None:
        """Why the peer is given up on, or None: it sent neither frames nor messages for too long.

        After PROBE_SECONDS of quiet the peer is probed with the runtime's one request that has an
        answer, `requestSchema` (its `ping` is one-way; WebRTC consent checks take ~30 s to fail). The
        limit is FAULT_SECONDS once the runtime has answered a probe or while video flows; a runtime
        that never answers cannot be told from a dead one while nothing flows, so there the silence
        timeout applies.
        """
        if self.peer is None:
            return None  # nothing to watch yet
        quiet = time.monotonic() - self._last_heard
        flowing = self._generating() and "first_frame" in self.result.timings
        limit = FAULT_SECONDS if self._probe_answered or flowing else self.options.silence()
        if quiet >= limit:
            what = "frames and messages" if flowing else "messages"
            self.trace.write("event", what="peer unresponsive", seconds=round(quiet, 3))
            return (f"the server stopped answering: no {what} for {quiet:.1f} s and a liveness probe "
                    "went unanswered (the server died, froze, or the network went away)")
        if quiet >= PROBE_SECONDS and time.monotonic() - self._probed >= PROBE_SECONDS:
            self._probed = time.monotonic()
            try:
                self.peer.send_runtime("requestSchema")
            except RunError:
                pass  # a closed channel is reported by the peer itself
        return None

    def _raise_if_unresponsive(self) -> None:
        message = self._unresponsive()
        if message is not None:
            raise RunError(Failure.CONNECTION_LOST, message)

    async def _drain_frames(self) -> None:
        """Video lags the data channel by a few frames: give the last chunk's frames time to land."""
        want = self._frames_emitted
        if self.program.end is not None:
            self._frame_limit = want
        deadline = time.monotonic() + max(1.0, 10 / (self.options.fps * self.options.time_scale))
        while self.progress.frames < want and time.monotonic() < deadline:
            await asyncio.sleep(0.02)

    # -- message handling --------------------------------------------------------------------

    def _handle(self, kind: str, payload: Any) -> None:
        if kind == "lost":
            raise RunError(Failure.CONNECTION_LOST, f"lost the connection: {payload}")
        if kind == "ended":
            raise RunError(Failure.CONNECTION_LOST, f"the server ended the session: {payload}")
        if kind == "flood":
            raise RunError(Failure.SERVER, f"the server sent messages faster than they could be handled "
                                           f"({payload} waiting): a flood, so the run ends")
        msg: Message = payload
        t, d = msg.type, msg.data
        if t == model.COMMAND_ERROR:
            self._command_error(str(d.get(model.COMMAND, "?")), str(d.get(model.REASON, "no reason given")))
        elif t == model.STATE:
            self._ack_from_state(d)
            if d.get(model.CURRENT_PROMPT):
                self.progress.prompt = d.get(model.CURRENT_PROMPT)
        elif t in _ACKS:
            self._ack(t, d)
        elif t == model.CHUNK_COMPLETE:
            self._chunk(d)
        elif t == model.GENERATION_COMPLETE:
            self._done_reason = f"the model completed the run ({d.get(model.TOTAL_CHUNKS, self.progress.chunks_done)} chunks)"

    def _ack(self, message: str, data: dict[str, Any]) -> None:
        for s in self._waiting.values():
            if _ACK_MESSAGE.get(s.type) != message:
                continue
            if model.AT_SESSION_CHUNK in data and data.get(model.AT_SESSION_CHUNK) != s.data.get(model.AT_SESSION_CHUNK):
                continue
            if model.PROMPT in data and model.PROMPT in s.data and data[model.PROMPT] != s.data[model.PROMPT]:
                continue
            self._settle(s)
            return

    def _ack_from_state(self, st: dict[str, Any]) -> None:
        if not self._waiting:
            return
        seed, prompt, started = st.get(model.SEED), st.get(model.CURRENT_PROMPT), bool(st.get(model.STARTED))
        shots = set(st.get(model.SCHEDULED_SHOTS) or ())  # ints: the peer checked them
        cuts = set(st.get(model.SCHEDULED_SCENE_CUTS) or ())
        for s in list(self._waiting.values()):
            if s.type == model.SCHEDULE_SHOT:
                done = s.data.get(model.AT_SESSION_CHUNK) in shots
            elif s.type == model.SCHEDULE_SCENE_CUT:
                done = s.data.get(model.AT_SESSION_CHUNK) in cuts
            elif s.type == model.SET_SEED:
                done = seed == s.data.get(model.SEED)
            elif s.type == model.SET_SHOT:
                done = prompt == s.data.get(model.PROMPT)
            else:
                done = s.type == model.START and started
            if done:
                self._settle(s)

    def _command_error(self, command: str, reason: str) -> _Sent | None:
        """Settle the command the model refused (the oldest waiting of its type, else the last sent); it is returned."""
        target = next((s for s in self._waiting.values() if s.type == command), None)
        if target is None:
            target = next((s for s in reversed(self.sent) if s.type == command), None)
        index = target.index if target else None
        if target is not None:
            self._settle(target, reason)
        text = render_command_error(self.program, index, command, reason, sources=self._sources)
        self.result.command_errors.append(text)
        self.trace.write("event", what="command_error", command=command, reason=reason, command_index=index)
        self.listener.problem(text)
        return target

    def _chunk(self, d: dict[str, Any]) -> None:
        if isinstance(d.get(model.FRAMES_EMITTED), int):
            self._frames_emitted = d[model.FRAMES_EMITTED]
        session_chunk = d.get(model.SESSION_CHUNK)
        if isinstance(session_chunk, int):
            self.progress.chunks_done = max(self.progress.chunks_done, session_chunk + 1)
        if isinstance(d.get(model.CHUNK_INDEX), int):
            self.progress.chunk_in_scene = d[model.CHUNK_INDEX] + 1
        if d.get(model.ACTIVE_PROMPT):
            self.progress.prompt = d[model.ACTIVE_PROMPT]
        scene = self._scene_at(self.progress.chunks_done - 1)
        if scene is not None:
            self.progress.scene_number, self.progress.scene_name = scene.number, scene.name
        self.listener.progress(self.progress)
        if self.program.end is not None and self.progress.chunks_done >= self.program.end:
            self._done_reason = f"reached the end of the storyboard ({self.program.end} chunks)"

    def _scene_at(self, chunk: int) -> Any:
        current = None
        for scene in self.program.scenes:
            if scene.start <= chunk:
                current = scene
        return current

    # -- teardown ----------------------------------------------------------------------------

    async def _teardown(self) -> None:
        """Close the peer, finish the video, end the session; each step bounded, none raising."""
        if self.peer is not None:
            await self.peer.close()
        if self.recorder is not None:
            await _shielded(asyncio.get_running_loop().run_in_executor(None, self.recorder.close))
            self.result.frames_recorded = self.recorder.frames_written
            if self.recorder.error is not None:
                self.trace.write("event", what="recorder error", error=self.recorder.message())
                if self.result.failure is None:
                    self.result.failure = Failure.OUTPUT
                    self.result.message = self.recorder.message() or "cannot write the video"
        try:
            await _shielded(asyncio.wait_for(self.signalling.close(), 10))
        except (TimeoutError, Exception) as e:
            self.trace.write("event", what="closing the session failed", error=type(e).__name__)
        gone = self.signalling.end_error
        if (gone is not None and gone.failure is Failure.CONNECTION_LOST  # `call` could not reach the server
                and self.result.failure in (Failure.CONNECTION_LOST, Failure.TIMEOUT)):
            self.result.message += f"; the server itself is gone ({gone.message})"
        self._status(Status.DISCONNECTED, self.result.message if self.result.failure else "")


async def _shielded(work: Any) -> Any:
    """Await `work` to its end even when a second signal cancels the teardown waiting on it."""
    task = asyncio.ensure_future(work)
    while True:
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.done():
                return task.result()


def _import_webrtc() -> None:
    import aiortc  # noqa: F401


async def run_program(
    program: Program, signalling: Signalling, options: RunOptions, listener: Listener | None = None
) -> RunResult:
    """Play `program` through `signalling`, tracing to `signalling.trace` (the caller closes it)."""
    session = Session(program, signalling, signalling.trace, options, listener or NullListener())
    signalling.on_status = session._status
    return await session.run()


def play(
    program: Program,
    url: str,
    trace: Trace,
    options: RunOptions,
    listener: Listener | None = None,
    *,
    api_key: str | None = None,
    capacity_wait: float = 300.0,
) -> RunResult:
    """Play `program` on the runtime at `url`, or on Reactor's cloud there with `api_key` (blocking)."""
    from .signalling import CloudSignalling, LocalSignalling

    signalling: Signalling
    if api_key:
        signalling = CloudSignalling(url, trace, api_key, capacity_wait=capacity_wait, call_timeout=options.call_timeout)
    else:
        signalling = LocalSignalling(url, trace, call_timeout=options.call_timeout)
    return run_with_signals(lambda: run_program(program, signalling, options, listener))


def run_with_signals(main: Callable[[], Any]) -> Any:
    """Run coroutine factory `main` under asyncio; SIGINT/SIGTERM/SIGHUP cancel it once (cleanup still runs).

    The cancellation carries the signal's name (`"SIGHUP"`, ...) so the run can tell a closed
    terminal from Ctrl-C; later signals are ignored while the run tears down.
    """
    import signal

    handled = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    async def runner() -> Any:
        loop = asyncio.get_running_loop()
        task = asyncio.ensure_future(main())
        hits = {"n": 0}

        def interrupt(sig: signal.Signals) -> None:
            hits["n"] += 1
            if hits["n"] == 1:
                task.cancel(sig.name)

        for sig in handled:
            try:
                loop.add_signal_handler(sig, interrupt, sig)
            except (NotImplementedError, RuntimeError, ValueError):
                pass
        try:
            return await task
        finally:
            for sig in handled:
                try:
                    loop.remove_signal_handler(sig)
                except Exception:
                    pass

    return asyncio.run(runner())
