"""A directed session: the plan plays, and shots, cuts, pause, resume and reset are added live.

`LiveSession` is the run's `Session` (same connection, acknowledgements, trace, video and teardown)
that does not end at the plan's end: it follows the chunk clock until it is closed, takes live
actions in between, and reports what happens as typed events. Every live action is checked against
the plan first with the rules of the checks (`checks.live_beat_problem`), clamped to the next chunk
as Reactor's web app does, sent, and settled by its acknowledgement or `command_error`; each step is
a `live` record in the trace.

`longlive_dsl.connect` (in longlive_dsl/direct/api.py) chooses where to play and opens one.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

from .. import checks, model
from ..program import Program
from . import Failure, RunError, Status
from .peer import Message
from .session import WATCH_SECONDS, Progress, RunOptions, RunResult, Session, _Sent
from .signalling import Signalling
from .trace import Trace

# -------------------------------------------------------------------------------- events


@dataclass(frozen=True)
class StatusChanged:
    """The connection status changed (disconnected → connecting → waiting → ready)."""

    status: Status
    detail: str


@dataclass(frozen=True)
class ChunkDone:
    """The model completed a chunk."""

    session_chunk: int
    chunk_in_scene: int
    prompt: str | None
    frames_emitted: int | None


@dataclass(frozen=True)
class BeatFired:
    """A beat took effect on `session_chunk`: the opener, a shot or a cut, from the plan or live."""

    kind: Literal["opener", "shot", "cut"]
    session_chunk: int
    prompt: str
    source: Literal["plan", "live", "unknown"]


@dataclass(frozen=True)
class Transport:
    """The model paused, resumed, was reset, or completed the last scene."""

    what: Literal["paused", "resumed", "reset", "complete"]


@dataclass(frozen=True)
class CommandRefused:
    """The model answered a command with `command_error`."""

    command: str
    reason: str
    live: bool


@dataclass(frozen=True)
class Frames:
    """Video frames received so far (sent at most a few times a second)."""

    received: int


@dataclass(frozen=True)
class Note:
    """Something worth telling the director (an unacknowledged command, a schema-less model)."""

    text: str


@dataclass(frozen=True)
class Fault:
    """The session failed (the connection was lost, the model went silent, an output cannot be written)."""

    failure: Failure
    message: str


@dataclass(frozen=True)
class Ended:
    """The session is over; `result` says how (always the last event)."""

    result: RunResult


Event = StatusChanged | ChunkDone | BeatFired | Transport | CommandRefused | Frames | Note | Fault | Ended


# -------------------------------------------------------------------------------- errors


class DirectError(Exception):
    """A live action did not take effect."""


class Declined(DirectError):
    """The plan's rules refuse a live beat (nothing was sent): `reason` and `fix` say why and what instead."""

    def __init__(self, reason: str, fix: str):
        super().__init__(f"{reason}; {fix}")
        self.reason, self.fix = reason, fix


class Refused(DirectError):
    """The model refused a live action (`command_error`)."""

    def __init__(self, command: str, reason: str):
        super().__init__(f"the model refused `{command}`: {reason}")
        self.command, self.reason = command, reason


class NotLive(DirectError):
    """The session is not open (not yet ready, or already over)."""


@dataclass(frozen=True)
class LiveBeat:
    """A shot or cut as it was sent: aimed at `at` (None: the next chunk); `clamped` when asked earlier."""

    kind: Literal["shot", "cut"]
    prompt: str
    at: int | None
    clamped: bool
    acknowledged: bool


_TIME = re.compile(r"\s*([+@])\s*(\d{1,7})\s*")


def parse_when(text: str) -> tuple[str, int]:
    """`+N` (N chunks after the one being made) or `@N` (session chunk N), as (`+` or `@`, N)."""
    m = _TIME.fullmatch(text)
    if m is None:
        raise ValueError(f"expected `+N` (chunks from now) or `@N` (a session chunk), got {text!r}")
    return m.group(1), int(m.group(2))


# -------------------------------------------------------------------------------- the session


class _Publisher:
    """The run's Listener, turned into events."""

    def __init__(self, session: LiveSession):
        self.session = session

    def status(self, status: Status, detail: str) -> None:
        self.session._publish(StatusChanged(status, detail))

    def info(self, text: str) -> None:
        self.session._publish(Note(text))

    def progress(self, progress: Progress) -> None:
        pass  # chunks are published as ChunkDone

    def problem(self, text: str) -> None:
        pass  # command errors are published as CommandRefused


_NOT_FAULTS = (Failure.INTERRUPTED, Failure.HANGUP)
"""Failures that are the director's own doing (a signal), not the session's fault."""
FRAME_EVENT_SECONDS = 0.25
EVENT_QUEUE_LIMIT = 10_000


class LiveSession(Session):
    """One directed session: the plan plays while live actions are taken; closed by `close()`."""

    def __init__(self, program: Program, signalling: Signalling, trace: Trace, options: RunOptions):
        super().__init__(program, signalling, trace, options, _Publisher(self))
        self._subscribers: list[asyncio.Queue[Event]] = []
        self._closing = asyncio.Event()
        self._ready = asyncio.Event()
        self._ended = asyncio.Event()
        self._next_index = len(program.commands)
        self._cut_sent_at: dict[int, int] = {}  # live `scene_cut` index -> the earliest chunk it can land on
        self._last_frames_event = 0.0
        self.status, self.status_detail = Status.DISCONNECTED, ""
        self._fault: Fault | None = None
        self.started = False
        self.paused = False
        self.complete = False
        self.seed: int | None = None
        # The plan as it stands: pending beats by chunk, scene openings (every pending cut among them), and what fired.
        self.pending: dict[int, tuple[str, str, str]] = {}  # chunk -> (kind, prompt, "plan"|"live")
        self._pending_now: list[tuple[str, str]] = []  # (kind, prompt) of live beats aimed at "the next chunk"
        self.scene_starts: list[int] = [0]
        self.fired: list[BeatFired] = []
        self._last_prompt: str | None = None
        self._cut_fired_at: set[int] = set()
        self._plan_playing = True  # the plan's chunks are the session's (until a reset starts afresh)
        for scene in program.scenes:
            for beat in scene.beats:
                self.pending[beat.chunk] = (beat.kind, beat.prompt, "plan")
            if scene.start > 0:
                self.scene_starts.append(scene.start)

    # -- events --------------------------------------------------------------------------------

    def _publish(self, event: Event) -> None:
        for q in self._subscribers:
            # a reader that never reads must not grow memory; one that reads late still gets the end
            if q.qsize() < EVENT_QUEUE_LIMIT or isinstance(event, Ended):
                q.put_nowait(event)

    async def events(self) -> AsyncIterator[Event]:
        """Every event from now on, until (and including) `Ended`."""
        q: asyncio.Queue[Event] = asyncio.Queue()
        self._subscribers.append(q)
        try:
            while True:
                event = await q.get()
                yield event
                if isinstance(event, Ended):
                    return
        finally:
            self._subscribers.remove(q)

    # -- where things stand ----------------------------------------------------------------------

    @property
    def session_chunk(self) -> int:
        """The session chunk being made now (completed chunks so far)."""
        return self.progress.chunks_done

    @property
    def next_chunk(self) -> int:
        """The earliest session chunk a beat sent now can land on."""
        return self.progress.chunks_done + model.EARLIEST_BEAT_CHUNK

    @property
    def scene_start(self) -> int:
        """The session chunk where the scene playing now opened."""
        return max((s for s in self.scene_starts if s <= self.progress.chunks_done), default=0)

    def upcoming(self) -> list[tuple[int, str, str, str]]:
        """Beats still to fire, by chunk: (chunk, kind, prompt, source)."""
        return [(c, *self.pending[c]) for c in sorted(self.pending) if c >= self.next_chunk - 1]

    # -- callbacks -----------------------------------------------------------------------------

    def _status(self, status: Status, detail: str = "") -> None:
        self.status, self.status_detail = status, detail
        super()._status(status, detail)

    def _on_frame(self, frame: Any) -> None:
        super()._on_frame(frame)  # RunOptions.on_frame gets it there
        now = time.monotonic()
        if now - self._last_frames_event >= FRAME_EVENT_SECONDS:
            self._last_frames_event = now
            self._publish(Frames(self.progress.frames))

    def _handle(self, kind: str, payload: Any) -> None:
        if kind != "message":  # lost, ended, flood
            super()._handle(kind, payload)
            return
        msg: Message = payload
        t, d = msg.type, msg.data
        if t == model.STATE:
            self._state(d)
        super()._handle(kind, payload)
        if t == model.SCENE_CUT_FIRED and isinstance(d.get(model.AT_SESSION_CHUNK), int):
            at = d[model.AT_SESSION_CHUNK]
            self._cut_fired_at.add(at)
            if at not in self.scene_starts:
                self.scene_starts.append(at)
                self.scene_starts.sort()
            self._fire(model.CUT, at, str(d.get(model.PROMPT) or ""))
        elif t == model.CHUNK_COMPLETE:
            self._chunk_done(d)
        elif t == model.GENERATION_PAUSED:
            self.paused = True
            self._publish(Transport("paused"))
        elif t == model.GENERATION_RESUMED:
            self.paused = False
            self._publish(Transport("resumed"))
        elif t == model.GENERATION_RESET:
            self._after_reset()
        elif t == model.GENERATION_COMPLETE:
            self.complete, self.started = True, False
            self.pending.clear()
            self._pending_now.clear()
            self._publish(Transport("complete"))

    def _state(self, d: dict[str, Any]) -> None:
        if isinstance(d.get(model.SEED), int):
            self.seed = d[model.SEED]
        if model.PAUSED in d:
            self.paused = bool(d.get(model.PAUSED))

    def _chunk_done(self, d: dict[str, Any]) -> None:
        chunk = d.get(model.SESSION_CHUNK)
        if not isinstance(chunk, int):
            return
        prompt = d.get(model.ACTIVE_PROMPT)
        if chunk == 0 and prompt:
            self._fire(model.OPENER, 0, str(prompt))
        elif prompt and prompt != self._last_prompt and chunk not in self._cut_fired_at:
            self._fire(model.SHOT, chunk, str(prompt))
        self._last_prompt = prompt or self._last_prompt
        # A beat planned here that did not fire (a soft shot with the prompt already playing) is gone.
        self.pending.pop(chunk, None)
        self._publish(ChunkDone(chunk, d.get(model.CHUNK_INDEX, 0), prompt, d.get(model.FRAMES_EMITTED)))
        end = self.program.end
        if self._plan_playing and end is not None and chunk + 1 == end:
            # The session's own chunk count: after a reconnect the plan carried on counts from the new session.
            self._publish(Note(f"the plan's end is reached (session chunk {end}): a directed session goes on "
                               "until you close it (llv run stops here)"))

    def _fire(self, kind: Literal["opener", "shot", "cut"], chunk: int, prompt: str) -> None:
        planned = self.pending.pop(chunk, None)
        source: Literal["plan", "live", "unknown"] = "unknown"
        if planned is not None and planned[1] == prompt:
            source = "plan" if planned[2] == "plan" else "live"
        else:
            now_kind = model.CUT if kind == model.CUT else model.SHOT
            for i, (k, p) in enumerate(self._pending_now):
                if p == prompt and (k == now_kind or kind == model.OPENER):
                    del self._pending_now[i]
                    source = "live"
                    break
        event = BeatFired(kind, chunk, prompt, source)
        self.fired.append(event)
        self._publish(event)

    def _after_reset(self) -> None:
        self.started = self.paused = self.complete = self._plan_playing = False
        self.pending.clear()
        self._pending_now.clear()
        self.scene_starts = [0]
        self.fired.clear()  # what fired belongs to the take before the reset (the trace keeps it)
        self._cut_fired_at.clear()
        self._last_prompt = None
        self.progress.chunks_done = 0
        self.progress.chunk_in_scene = 0
        self._frames_emitted = 0
        self._started_at = None
        self._publish(Transport("reset"))

    def _ack_from_state(self, st: dict[str, Any]) -> None:
        super()._ack_from_state(st)
        cuts = st.get(model.SCHEDULED_SCENE_CUTS) or ()
        for index, earliest in list(self._cut_sent_at.items()):
            s = self._waiting.get(index)
            if s is None:
                del self._cut_sent_at[index]
            elif any(c >= earliest for c in cuts):
                del self._cut_sent_at[index]
                self._settle(s)

    def _command_error(self, command: str, reason: str) -> _Sent | None:
        target = super()._command_error(command, reason)
        live = target is not None and target.index >= len(self.program.commands)
        self._publish(CommandRefused(command, reason, live))
        return target

    def _raise_command_errors(self) -> None:
        """Only a refused command of the plan ends the session; a refused live action is its caller's."""
        planned = [s for s in self.sent if s.error is not None and s.index < len(self.program.commands)]
        if planned:
            raise RunError(Failure.COMMAND_ERROR, f"the model refused {len(planned)} command(s) of the program")

    # -- the run -------------------------------------------------------------------------------

    async def _run(self) -> None:
        await self._open()
        if any(c.type == model.START for c in self.program.commands):
            await self._send_setup()
            self._mark("setup_acked")
            await self._start()
            self._started_at = time.monotonic()
            self.started = True
        self._ready.set()
        await self._follow()

    async def _follow(self) -> None:
        """Follow the model until closed, watching that the peer is alive (see `_check_alive`)."""
        closing = asyncio.ensure_future(self._closing.wait())
        self._last_heard = time.monotonic()
        getter: asyncio.Future[Any] | None = None
        try:
            while not self._closing.is_set():
                if getter is None:
                    getter = asyncio.ensure_future(self._events.get())
                done, _ = await asyncio.wait({getter, closing}, timeout=WATCH_SECONDS,
                                             return_when=asyncio.FIRST_COMPLETED)
                if getter in done:
                    kind, payload = getter.result()
                    getter = None
                    self._handle(kind, payload)
                    self._raise_command_errors()
                elif closing not in done:
                    self._check_alive()
        finally:
            closing.cancel()
            if getter is not None:
                getter.cancel()
        self.result.message = "closed by the director"
        await self._drain_frames()

    def _generating(self) -> bool:
        return self.started and not self.paused and not self.complete

    def _check_alive(self) -> None:
        """Give up on a dead or frozen peer (Session._unresponsive), telling the director first."""
        message = self._unresponsive()
        silence = self.options.silence()
        if message is None and self._generating() and time.monotonic() - self._last_message >= silence:
            message = f"the data channel went silent: no message from the model for {silence:g} s"
        if message is not None:
            self._fault = Fault(Failure.CONNECTION_LOST, message)
            self._publish(self._fault)
            raise RunError(Failure.CONNECTION_LOST, message)

    async def run(self) -> RunResult:
        """Run until closed or failed; the last event is `Ended`."""
        try:
            result = await super().run()
        finally:
            self._ready.set()
        if self._fault is None and result.failure is not None and result.failure not in _NOT_FAULTS:
            self._publish(Fault(result.failure, result.message))
        self._ended.set()
        self._publish(Ended(result))
        return result

    @property
    def faulted(self) -> bool:
        """The session ended on a fault (connection lost, silence, an unresponsive server, an output)."""
        return self._fault is not None or self.result.failure is not None and self.result.failure not in _NOT_FAULTS

    async def wait_ended(self) -> None:
        """Wait until the session has ended (closed or failed)."""
        await self._ended.wait()

    async def wait_ready(self) -> None:
        """Wait until the plan is set up and started (or the session failed: see `result`)."""
        await self._ready.wait()

    def close(self) -> None:
        """End the session: the follow loop stops and the teardown runs (session deleted, video finished)."""
        self._closing.set()

    # -- live actions --------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self.peer is None or not self._ready.is_set() or self.result.failure is not None or self._closing.is_set():
            raise NotLive("the session is not open")
        if self.peer.closed_reason is not None:
            raise NotLive(f"the session is not open: {self.peer.closed_reason}")

    def _aim(self, at: int | str | None) -> tuple[int | None, str | None, bool]:
        """(the chunk aimed at or None for the next, the time as asked when relative or clamped, clamped)."""
        if at is None:
            return None, None, False
        asked: str | None = None
        if isinstance(at, str):
            sign, n = parse_when(at)
            asked = at.strip()
            chunk = self.progress.chunks_done + n if sign == "+" else n
        elif isinstance(at, bool) or not isinstance(at, int):
            raise TypeError(f"`at` is a session chunk (int), `+N` or `@N`, not {at!r}")
        else:
            chunk = at
        clamped = chunk < self.next_chunk  # the web app's clamp: no earlier than the next chunk
        if clamped:
            asked = asked or str(at)
        if chunk <= self.next_chunk:
            return None, asked, clamped  # the next chunk is what "now" means
        return chunk, asked, False

    def _live(self, action: str, outcome: str, *, command: str | None = None, command_index: int | None = None,
              prompt: str | None = None, at: int | None = None, asked: str | None = None,
              reason: str | None = None, fix: str | None = None) -> None:
        """One `live` record: an action asked, declined, sent or settled."""
        self.trace.write("live", action=action, outcome=outcome, command=command, command_index=command_index,
                         prompt=prompt, at=at, asked=asked, reason=reason, fix=fix)

    async def _send_live(self, action: str, command: str, data: dict[str, Any], **fields: Any) -> bool:
        """Send one live command and wait for its settlement; True when acknowledged."""
        assert self.peer is not None
        index = self._next_index
        self._next_index += 1
        loop = asyncio.get_running_loop()
        s = _Sent(index, command, data, settled=loop.create_future())
        self.sent.append(s)
        self._waiting[index] = s
        if command == model.SCENE_CUT:
            self._cut_sent_at[index] = self.next_chunk
        self._live(action, "sent", command=command, command_index=index, **fields)
        self.peer.send_command(command, data)
        assert s.settled is not None
        try:
            error = await asyncio.wait_for(asyncio.shield(s.settled), self.options.ack_timeout)
        except TimeoutError:
            self._waiting.pop(index, None)
            self._live(action, "unacknowledged", command=command, command_index=index, **fields)
            self._publish(Note(f"no acknowledgement within {self.options.ack_timeout:g} s for `{command}`"))
            return False
        if error is not None:
            self._live(action, "refused", command=command, command_index=index, reason=error, **fields)
            raise Refused(command, error)
        self._live(action, "acknowledged", command=command, command_index=index, **fields)
        return True

    async def _beat(self, kind: Literal["shot", "cut"], prompt: str, at: int | str | None) -> LiveBeat:
        self._check_open()
        if not isinstance(prompt, str) or not prompt.strip():
            raise ValueError("a shot or cut needs a prompt")
        if self.complete:
            raise NotLive("the model completed the scene: reset to play again")
        chunk, asked, clamped = self._aim(at)
        fields: dict[str, Any] = {model.PROMPT: prompt, "at": chunk}
        if asked is not None:
            fields["asked"] = asked
        if not self.started:
            if kind == model.CUT or chunk is not None:
                reason = "nothing is playing yet: the first beat is the opener, fired now"
                self._live(kind, "declined", reason=reason, fix="fire a shot now to start", **fields)
                raise Declined(reason, "fire a shot now (no time, no cut) to start")
            return await self._opener(prompt)
        target = chunk if chunk is not None else self.next_chunk
        taken = {c: f'a {k} ("{_short(p)}", {"planned" if src == "plan" else "fired live"})'
                 for c, (k, p, src) in self.pending.items() if c >= self.next_chunk}
        if chunk is None:
            for k, p in self._pending_now:
                taken.setdefault(self.next_chunk, f'a {k} ("{_short(p)}", fired live)')
        problem = checks.live_beat_problem(kind, target, self.scene_starts, taken)  # pending cuts are scene starts
        if problem is not None:
            self._live(kind, "declined", reason=problem[0], fix=problem[1], **fields)
            raise Declined(*problem)
        if chunk is None:
            command = model.SET_SHOT if kind == model.SHOT else model.SCENE_CUT
            data: dict[str, Any] = {model.PROMPT: prompt}
        else:
            command = model.SCHEDULE_SHOT if kind == model.SHOT else model.SCHEDULE_SCENE_CUT
            data = {model.PROMPT: prompt, model.AT_SESSION_CHUNK: chunk}
        self._fits_schema(kind, command, data, fields)
        if chunk is None:
            self._pending_now.append((kind, prompt))
        else:
            self.pending[chunk] = (kind, prompt, "live")
            if kind == model.CUT:
                self.scene_starts = sorted(set(self.scene_starts) | {chunk})
        try:
            acked = await self._send_live(kind, command, data, **fields)
        except Refused:
            if chunk is None:
                self._pending_now.remove((kind, prompt))
            else:
                self.pending.pop(chunk, None)
                if kind == model.CUT and chunk not in self._cut_fired_at:
                    self.scene_starts = [s for s in self.scene_starts if s != chunk]
            raise
        return LiveBeat(kind, prompt, chunk, clamped, acked)

    def _fits_schema(self, action: str, command: str, data: dict[str, Any], fields: dict[str, Any]) -> None:
        """Decline a command the model's schema does not take (the runtime would drop it without a word)."""
        problems = self.schema.check(command, data) if self.schema is not None else []
        if problems:
            reason = f"the model's schema does not take this `{command}`: {'; '.join(problems)}"
            fix = f"keep the prompt to at most {model.PROMPT_MAX_CHARS} characters" if model.PROMPT in reason else \
                "change it to fit the schema"
            self._live(action, "declined", reason=reason, fix=fix, **fields)
            raise Declined(reason, fix)

    async def _opener(self, prompt: str) -> LiveBeat:
        """Nothing plays yet (an empty plan, or after a reset): the shot becomes the opener and starts the run."""
        self._fits_schema(model.SHOT, model.SET_SHOT, {model.PROMPT: prompt}, {model.PROMPT: prompt, "at": 0})
        self._pending_now.append((model.SHOT, prompt))
        try:
            await self._send_live(model.SHOT, model.SET_SHOT, {model.PROMPT: prompt}, prompt=prompt, at=0)
            acked = await self._send_live(model.SHOT, model.START, {}, at=0)
        except Refused:
            self._pending_now.remove((model.SHOT, prompt))
            raise
        self.started = True
        self._started_at = time.monotonic()
        return LiveBeat(model.SHOT, prompt, 0, False, acked)

    async def shot(self, prompt: str, at: int | str | None = None) -> LiveBeat:
        """A soft shot: now (the next chunk), at session chunk `at`, or `"+N"` / `"@N"`; clamped to the next chunk."""
        return await self._beat(model.SHOT, prompt, at)

    async def cut(self, prompt: str, at: int | str | None = None) -> LiveBeat:
        """A hard cut to a new scene: now, or at `at` as for `shot`."""
        return await self._beat(model.CUT, prompt, at)

    async def pause(self) -> None:
        """Pause generation (frames stop; the chunk clock holds)."""
        self._check_open()
        await self._send_live(model.PAUSE, model.PAUSE, {})

    async def resume(self) -> None:
        """Resume a paused generation."""
        self._check_open()
        await self._send_live(model.RESUME, model.RESUME, {})

    async def reset(self) -> None:
        """Reset the model: prompt, schedule and clocks cleared; the next shot is a new opener."""
        self._check_open()
        await self._send_live(model.RESET, model.RESET, {})


def _short(prompt: str, width: int = 40) -> str:
    return prompt if len(prompt) <= width else prompt[: width - 1] + "…"
