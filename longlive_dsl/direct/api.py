"""`longlive_dsl.connect`: open a directed session on a simulator, a server or the cloud.

    async with longlive_dsl.connect("story.llv", trace="take.jsonl") as session:
        await session.shot("the fox looks up at the aurora", at="+3")
        async for event in session.events():
            ...

Where to play is chosen here (longlive_dsl.venue), above the runtime, as for `llv run`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from typing import Any

from ..program import Program
from ..runtime import RunError, Status
from ..runtime.live import LiveSession
from ..runtime.session import RunOptions
from ..runtime.trace import Redactor, Trace


class PlanError(ValueError):
    """The storyboard given to `connect` does not compile; the message holds its diagnostics."""


def empty_program(clock: Any = None) -> Program:
    """The Program of an empty plan: nothing set, nothing scheduled; the first live shot is the opener."""
    from ..program import ClockProfile

    kw: dict[str, Any] = {} if clock is None else {"clock": ClockProfile.of(clock)}
    return Program(source="(live)", commands=[], end=None, stops_at=0, scenes=[], source_map=[], **kw)


def load_plan(plan: Program | str | os.PathLike[str] | None, clock: str | None = None) -> Program:
    """A Program from a Program, a .llv path (compiled; PlanError on errors) or None (the empty plan)."""
    if plan is None:
        from .. import model

        return empty_program(model.CLOCKS[clock] if clock else None)
    if isinstance(plan, Program):
        return plan
    from .. import compile_file
    from ..diagnostics import has_errors, render_text

    path = os.fspath(plan)
    program, diags = compile_file(path, clock)
    if program is None or has_errors(diags):
        from ..source import read_source

        text = read_source(path)
        shown = "\n".join(render_text(d, text, False) for d in diags if d.severity == "error")
        raise PlanError(f"{path} has errors; nothing was run\n{shown}")
    return program


@asynccontextmanager
async def connect(
    plan: Program | str | os.PathLike[str] | None = None,
    *,
    server: str | None = None,
    cloud: bool = False,
    api_key: str | None = None,
    api_url: str | None = None,
    trace: str | os.PathLike[str] | None = None,
    video: str | os.PathLike[str] | None = None,
    options: RunOptions | None = None,
    simulator: dict[str, Any] | None = None,
    clock: str | None = None,
    file: str | None = None,
) -> AsyncIterator[LiveSession]:
    """A directed session playing `plan` (a Program, a .llv path, or None for an empty plan) until the block ends.

    Plays on a simulator started for it (its options in `simulator`: `time_scale`, `frames_per_chunk`,
    `size`, ...), on the runtime at `server`, or on Reactor's cloud with `api_key`. Leaving the block
    closes the session (deleted on the cloud), finishes the video and ends the trace.
    Raises RunError when the session cannot be opened or the plan's setup is refused.
    """
    from ..runtime.signalling import CloudSignalling, LocalSignalling, Signalling
    from ..venue import CLOUD, SIMULATOR, choose_venue, venue_url

    program = load_plan(plan, clock)
    venue = choose_venue(server=server, cloud=cloud, api_key=api_key, api_url=api_url)
    options = options or RunOptions()
    if video is not None:
        options.video = video
    sim_options = dict(simulator or {})
    sim_options.setdefault("time_scale", options.time_scale)
    sim_options.setdefault("frames_per_chunk", (program.clock.first_chunk_frames, program.clock.later_chunk_frames))
    options.time_scale = sim_options["time_scale"] if venue.kind == SIMULATOR else options.time_scale
    tr = Trace(trace, Redactor([venue.api_key] if venue.api_key else []))
    with ExitStack() as stack:
        stack.callback(tr.close)
        name = file or (os.fspath(plan) if isinstance(plan, (str, os.PathLike)) else program.source)
        tr.write("run", file=name, mode=venue.kind, clock=program.clock.name)
        url = await asyncio.to_thread(stack.enter_context, venue_url(venue, **sim_options))
        signalling: Signalling
        if venue.kind == CLOUD:
            assert venue.api_key is not None
            signalling = CloudSignalling(url, tr, venue.api_key, call_timeout=options.call_timeout)
        else:
            signalling = LocalSignalling(url, tr, call_timeout=options.call_timeout)
        session = LiveSession(program, signalling, tr, options)
        signalling.on_status = session._status
        running = asyncio.ensure_future(session.run())
        try:
            await session.wait_ready()
            failure = running.result().failure if running.done() else None
            if failure is not None:
                raise RunError(failure, running.result().message)
            yield session
        finally:
            session.close()
            await _finish(running)


async def _finish(running: asyncio.Future[Any]) -> None:
    """Wait for the session's teardown; a caller cancelled meanwhile interrupts the session, which still tears down."""
    try:
        await asyncio.shield(running)
    except asyncio.CancelledError:
        running.cancel()
        while not running.done():
            try:
                await asyncio.shield(running)
            except asyncio.CancelledError:
                pass
        raise


__all__ = ["connect", "load_plan", "empty_program", "PlanError", "LiveSession", "Status"]


def rest_of_plan(session: LiveSession) -> Program:
    """The plan from the chunk a failed session was making, as a Program for a new session starting there.

    Chunk K (the one not completed) becomes chunk 0: its opener is the prompt playing then (or the beat
    due exactly there), and every beat still to come, planned or scheduled live, moves back by K.
    """
    from ..continuation import continue_plan

    k = session.session_chunk
    pending = [(c, kind, p) for c, (kind, p, _) in session.pending.items()]
    opener = session.progress.prompt or (session.fired[-1].prompt if session.fired else None)
    return continue_plan(session.program, k, opener, pending, session.seed)
