"""The LongLive-2.0 simulator as a reactor-runtime model, and the process that serves it.

:class:`LongLiveSim` is a ``ReactorApp`` wrapping :class:`longlive_dsl.sim.Engine`:

- one output track, ``main_video``, RGB frames drawn by :class:`longlive_dsl.sim.frames.FrameRenderer`;
- one ``@event`` handler per LongLive command with typed parameters (``seed: int``,
  ``prompt: str``, ``at_session_chunk: int``), so the runtime's own schema check refuses what the
  hosted model's would (unknown command, wrong type, extra key) before the engine sees it, and the
  engine's ``command_error`` covers the preconditions;
- one typed ``ModelMessage`` class per LongLive message (``state``, ``command_error``,
  ``shot_set``, ``chunk_complete``, ...), so ``GET /schema`` documents them.

Every message the engine returns is **broadcast**, in the engine's order, and handlers return
nothing (the v1 codec then sends a bodyless acknowledgement correlated to the command). So a
client sees e.g. ``shot_set`` then ``state`` on its message stream, never a reply overtaking a
broadcast.

Frames are paced by the model's own clock at ``fps * time_scale`` frames per second (the runtime
plays them out at the same rate), only while a session has a connected client; the chunk
semantics do not depend on ``time_scale``. A chunk's messages (``chunk_complete``, then
``scene_cut`` or ``generation_complete``, then ``state``) are sent right after its last frame is
handed to the runtime; playout is buffered, so a client gets ``chunk_complete`` two or three frame
periods *before* that frame is shown (measured: ~57 ms at 48 frames/s) — as a real model that
generates ahead of playout would. Generation runs only while a client is connected.

Configuration comes from the environment (``llv serve`` and
:func:`longlive_dsl.sim.server.running_simulator` set it):

=========================== ======================================================
``LLV_SIM_FPS``              output frame rate at time scale 1 (default 24)
``LLV_SIM_FRAMES_PER_CHUNK`` frames in a chunk: ``FIRST,LATER`` (a scene's first chunk, each later
                             one) or ``N`` for every chunk (default ``29,32``, the measured clock)
``LLV_SIM_SCENE_BUDGET``     chunks before a scene auto-completes (default 48)
``LLV_SIM_SIZE``             ``WIDTHxHEIGHT`` (default 640x352; 1280x704 is the hosted size)
``LLV_SIM_TIME_SCALE``       playout speed-up for tests (default 1.0)
``LLV_SIM_PREEMPT``          ``1`` (default): ``POST /start_session`` ends a session still
                             open (a crashed or vanished client) instead of answering 409
=========================== ======================================================

Run the server with ``python -m longlive_dsl.sim.app`` (``HOST``/``PORT`` and the runtime's other
variables apply; no ICE servers are advertised) — or, better, through ``llv serve``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reactor_runtime import (
    InputField,
    MessageField,
    ModelMessage,
    Output,
    ReactorApp,
    Video,
    connected,
    event,
    session_ended,
    session_started,
)
from reactor_runtime.log import get_logger

from longlive_dsl import model
from longlive_dsl.sim.engine import Engine, Message, parse_frames_per_chunk
from longlive_dsl.sim.frames import DEFAULT_SIZE, FrameRenderer, parse_size

logger = get_logger(__name__)

APP_REF = "longlive_dsl.sim.app:LongLiveSim"
PREEMPT_REASON = "Session ended: a new session was started."


@dataclass(frozen=True)
class SimConfig:
    """The simulator's knobs (see the module docstring for the environment variables)."""

    fps: int = model.FPS
    frames_per_chunk: Any = (model.DEFAULT_CLOCK.first_chunk_frames, model.DEFAULT_CLOCK.later_chunk_frames)
    """(a scene's first chunk, each later one); also given as a clock, its name, N or "FIRST,LATER"."""
    scene_budget: int = model.SCENE_BUDGET_CHUNKS
    size: tuple[int, int] = DEFAULT_SIZE
    time_scale: float = 1.0
    preempt: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.fps, int) or not 1 <= self.fps <= 120:
            raise ValueError(f"fps must be an integer in 1..120, got {self.fps!r}")
        object.__setattr__(self, "frames_per_chunk", parse_frames_per_chunk(self.frames_per_chunk))
        if not isinstance(self.scene_budget, int) or self.scene_budget < 1:
            raise ValueError(f"scene budget must be a positive integer, got {self.scene_budget!r}")
        if not 0.01 <= self.time_scale <= 100:
            raise ValueError(f"time scale must be in 0.01..100, got {self.time_scale!r}")

    @property
    def playout_fps(self) -> float:
        """Frames per second on the wire: ``fps * time_scale``."""
        return self.fps * self.time_scale

    def to_env(self) -> dict[str, str]:
        return {
            "LLV_SIM_FPS": str(self.fps),
            "LLV_SIM_FRAMES_PER_CHUNK": "{},{}".format(*self.frames_per_chunk),
            "LLV_SIM_SCENE_BUDGET": str(self.scene_budget),
            "LLV_SIM_SIZE": f"{self.size[0]}x{self.size[1]}",
            "LLV_SIM_TIME_SCALE": repr(float(self.time_scale)),
            "LLV_SIM_PREEMPT": "1" if self.preempt else "0",
        }

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> SimConfig:
        env = dict(os.environ if env is None else env)

        def get(name: str, default: Any, conv: Any) -> Any:
            raw = env.get(name, "").strip()
            return conv(raw) if raw else default

        return cls(
            fps=get("LLV_SIM_FPS", model.FPS, int),
            frames_per_chunk=get("LLV_SIM_FRAMES_PER_CHUNK", model.DEFAULT_CLOCK, str),
            scene_budget=get("LLV_SIM_SCENE_BUDGET", model.SCENE_BUDGET_CHUNKS, int),
            size=get("LLV_SIM_SIZE", DEFAULT_SIZE, parse_size),
            time_scale=get("LLV_SIM_TIME_SCALE", 1.0, float),
            preempt=get("LLV_SIM_PREEMPT", True, lambda v: v not in ("0", "false", "no")),
        )


# --------------------------------------------------------------------------- the wire surface


class SimOutput(Output):
    main_video: Video


class State(ModelMessage):
    """LongLive's state: sent on connect, after every change and after every chunk."""

    name = model.STATE
    seed: int = MessageField(description="seed read at start")
    paused: bool = MessageField(description="generation is paused")
    running: bool = MessageField(description="started and not paused")
    started: bool = MessageField(description="start was accepted and no reset since")
    has_prompt: bool = MessageField(description="an opener or a beat prompt is set")
    current_chunk: int = MessageField(description="chunk index within the current scene")
    current_frame: int = MessageField(description="frame index within the current chunk")
    session_chunk: int = MessageField(description="cumulative chunk clock since start")
    current_prompt: str | None = MessageField(description="the active prompt, null before set_shot")
    scheduled_shots: list[int] = MessageField(description="session chunks holding a scheduled soft shot")
    scheduled_scene_cuts: list[int] = MessageField(description="session chunks holding a scheduled cut")


class CommandErrorMessage(ModelMessage):
    """A command's precondition failed; nothing changed."""

    name = model.COMMAND_ERROR
    command: str = MessageField(description="the refused command")
    reason: str = MessageField(description="why it was refused")


class ShotSet(ModelMessage):
    """set_shot was accepted."""

    name = model.SHOT_SET
    prompt: str = MessageField(description="the accepted prompt")


class ShotScheduled(ModelMessage):
    """schedule_shot was accepted."""

    name = model.SHOT_SCHEDULED
    prompt: str = MessageField(description="the beat's prompt")
    at_session_chunk: int = MessageField(description="when it fires")


class SceneCutScheduled(ModelMessage):
    """schedule_scene_cut was accepted."""

    name = model.SCENE_CUT_SCHEDULED
    prompt: str = MessageField(description="the new scene's prompt")
    at_session_chunk: int = MessageField(description="when it fires")


class SceneCutFired(ModelMessage):
    """A hard cut fired: new scene, memory purged, budget reset."""

    name = model.SCENE_CUT_FIRED
    prompt: str = MessageField(description="the new scene's prompt")
    at_session_chunk: int = MessageField(description="the session chunk it fired on")


class ChunkComplete(ModelMessage):
    """A chunk's last frame went out."""

    name = model.CHUNK_COMPLETE
    chunk_index: int = MessageField(description="chunk index within its scene")
    session_chunk: int = MessageField(description="cumulative chunk index")
    active_prompt: str = MessageField(description="the prompt the chunk was generated from")
    frames_emitted: int = MessageField(description="frames emitted since start")


class GenerationStarted(ModelMessage):
    """start was accepted."""

    name = model.GENERATION_STARTED
    frame_num: int = MessageField(description="frames in one scene's full budget")


class GenerationPaused(ModelMessage):
    """pause was accepted."""

    name = model.GENERATION_PAUSED


class GenerationResumed(ModelMessage):
    """resume was accepted."""

    name = model.GENERATION_RESUMED


class GenerationReset(ModelMessage):
    """reset was accepted: prompt, schedule and counters cleared."""

    name = model.GENERATION_RESET


class GenerationComplete(ModelMessage):
    """The scene spent its budget with no cut to rescue it; every command but reset is refused."""

    name = model.GENERATION_COMPLETE
    total_chunks: int = MessageField(description="chunks generated since start")


_MESSAGES: dict[str, type[ModelMessage]] = {
    cls.name: cls
    for cls in (
        State, CommandErrorMessage, ShotSet, ShotScheduled, SceneCutScheduled, SceneCutFired,
        ChunkComplete, GenerationStarted, GenerationPaused, GenerationResumed, GenerationReset,
        GenerationComplete,
    )
}


class _RawMessage:
    """A message the typed classes do not describe (kept so nothing the engine says is lost)."""

    def __init__(self, name: str, data: dict) -> None:
        self.name, self._data = name, data

    def to_wire_format(self) -> dict[str, Any]:
        return {"type": self.name, "data": self._data}


def to_model_message(message: Message) -> Any:
    """The runtime message for one engine message (typed when its fields match a class)."""
    cls = _MESSAGES.get(message.type)
    if cls is not None and set(message.data) == set(cls.__message_fields__):
        return cls(**message.data)
    logger.warning("untyped simulator message", type=message.type, fields=sorted(message.data))
    return _RawMessage(message.type, dict(message.data))


# --------------------------------------------------------------------------- the model


_PROMPT = InputField(description="the prompt", max_length=model.PROMPT_MAX_CHARS)
_AT = InputField(description="the session chunk the beat fires on")


class LongLiveSim(ReactorApp):
    """LongLive-2.0 reference simulator (no weights): the engine's rules, synthetic stamped frames."""

    fps: float = model.FPS  # replaced in load() by the configured playout rate

    def load(self, config_path: Path | None) -> None:
        self.config = SimConfig.from_env()
        type(self).fps = self.config.playout_fps
        self._period = 1.0 / self.config.playout_fps
        self._renderer = FrameRenderer(*self.config.size, self.config.frames_per_chunk[1])
        self._engine: Engine | None = None
        logger.info(
            "LongLive-2.0 simulator loaded",
            size=f"{self.config.size[0]}x{self.config.size[1]}",
            fps=self.config.fps, time_scale=self.config.time_scale,
            frames_per_chunk="{},{}".format(*self.config.frames_per_chunk), scene_budget=self.config.scene_budget,
        )

    def _new_engine(self) -> Engine:
        return Engine(frames_per_chunk=self.config.frames_per_chunk, scene_budget=self.config.scene_budget)

    @session_started
    async def _on_session_started(self) -> None:
        self._engine = self._new_engine()

    @session_ended
    async def _on_session_ended(self) -> None:
        self._engine = None

    @connected
    async def _on_connected(self) -> None:
        if self._engine is None:
            self._engine = self._new_engine()
        await self._broadcast(self._engine.connect_messages())

    async def _broadcast(self, messages: list[Message]) -> None:
        for message in messages:
            await self.send(to_model_message(message))

    async def _command(self, name: str, data: dict) -> None:
        if self._engine is None:
            self._engine = self._new_engine()
        await self._broadcast(self._engine.handle(name, data))

    @event(name=model.SET_SEED, description="Set the seed (signed 32-bit), read at start")
    async def set_seed(self, seed: int = InputField(description="the seed")) -> None:
        await self._command(model.SET_SEED, {model.SEED: seed})

    @event(name=model.SET_SHOT, description="Before start: the opener; while running: a soft shot at the next chunk")
    async def set_shot(self, prompt: str = _PROMPT) -> None:
        await self._command(model.SET_SHOT, {model.PROMPT: prompt})

    @event(name=model.SCENE_CUT, description="Hard cut at the next chunk boundary")
    async def scene_cut(self, prompt: str = _PROMPT) -> None:
        await self._command(model.SCENE_CUT, {model.PROMPT: prompt})

    @event(name=model.SCHEDULE_SHOT, description="Soft shot when session_chunk reaches at_session_chunk")
    async def schedule_shot(self, prompt: str = _PROMPT, at_session_chunk: int = _AT) -> None:
        await self._command(model.SCHEDULE_SHOT, {model.PROMPT: prompt, model.AT_SESSION_CHUNK: at_session_chunk})

    @event(name=model.SCHEDULE_SCENE_CUT, description="Hard cut when session_chunk reaches at_session_chunk")
    async def schedule_scene_cut(self, prompt: str = _PROMPT, at_session_chunk: int = _AT) -> None:
        await self._command(
            model.SCHEDULE_SCENE_CUT, {model.PROMPT: prompt, model.AT_SESSION_CHUNK: at_session_chunk}
        )

    @event(name=model.START, description="Start generating from the opener")
    async def start(self) -> None:
        await self._command(model.START, {})

    @event(name=model.PAUSE, description="Pause generation")
    async def pause(self) -> None:
        await self._command(model.PAUSE, {})

    @event(name=model.RESUME, description="Resume generation")
    async def resume(self) -> None:
        await self._command(model.RESUME, {})

    @event(name=model.RESET, description="Clear prompt, schedule and counters")
    async def reset(self) -> None:
        await self._command(model.RESET, {})

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self.connected.wait()
            due = loop.time()
            while self.connected.is_set():
                engine = self._engine
                if engine is None or not engine.generating:
                    await asyncio.sleep(0.005)
                    due = loop.time()
                    continue
                info, messages = engine.step_frame()
                if info is not None:
                    await self.emit(SimOutput(main_video=self._renderer.render(info)))
                await self._broadcast(messages)
                due += self._period
                delay = due - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                elif delay < -0.25:
                    due = loop.time()  # fell behind (a stall): carry on at the rate, no burst


# --------------------------------------------------------------------------- the process


class _FreshSessionGate:
    """ASGI wrapper: a ``POST /start_session`` while a session is still open ends that session first.

    The local runtime has one session; a client that crashed leaves it ``waiting``, ``streaming``
    (until the 20 s ping watchdog notices) or ``orphaned`` (until the orphan timeout), and every
    start in between would get 409. The simulator serves one user at a time, so a new start wins:
    the old session's clients get ``sessionEnded`` with :data:`PREEMPT_REASON`.
    """

    def __init__(self, app: Any, runner: Any) -> None:
        self.app, self.runner = app, runner

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope.get("type") == "http" and scope.get("method") == "POST" and scope.get("path") == "/start_session":
            await self._make_room()
        await self.app(scope, receive, send)

    async def _make_room(self) -> None:
        from reactor_runtime.core import SessionState

        sm = self.runner._sm
        open_states = (SessionState.WAITING, SessionState.STREAMING, SessionState.ORPHANED)
        if sm.current_state in open_states:
            logger.info("ending the open session to start a new one", state=sm.current_state.name.lower())
            try:
                self.runner.stop_session(reason=PREEMPT_REASON)
            except Exception as error:  # a race with another stop: fine, wait below
                logger.info("stop before start refused", error=str(error))
        deadline = time.monotonic() + 10.0
        while sm.current_state in open_states + (SessionState.CLOSING,) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)


def build_service(host: str, port: int) -> Any:
    """Assemble the runtime exactly like ``python -m reactor_runtime.serve`` does, with no ICE
    servers, the simulator as the model, the single-connection signalling published SDKs send
    (:mod:`longlive_dsl.sim.compat`), and (when configured) the fresh-session gate."""
    import dataclasses

    from reactor_runtime import serve as rt_serve
    from reactor_runtime.core import RuntimeConfig
    from reactor_runtime.http import HttpServer
    from reactor_runtime.metrics import RuntimeMetrics
    from reactor_runtime.runner import Runner
    from reactor_runtime.service import Service
    from reactor_runtime.transport.webrtc.router import WebRtcRouter

    from longlive_dsl.sim import compat

    cfg = RuntimeConfig(model_ref=APP_REF, model_name=model.MODEL_NAME, host=host, port=port)
    cfg = rt_serve._apply_env(cfg)  # ORPHAN_TIMEOUT_SECONDS & co. still apply
    cfg = dataclasses.replace(cfg, host=host, port=port)
    webrtc = dataclasses.replace(rt_serve._webrtc_config_from_env(), ice_servers=())
    service = Service(exit_timeout=cfg.exit_timeout, grace_period=cfg.grace_period)
    metrics = RuntimeMetrics(version=rt_serve._version(), model=cfg.model_ref)
    runner = Runner(cfg, metrics)
    runner.request_shutdown = service.request_shutdown
    service.add(runner)
    http = HttpServer(
        cfg, runner, transports=[WebRtcRouter(webrtc, compat.peer_factory, metrics)],
        process_health=service.health, metrics=metrics,
    )
    http._app = compat.SingleConnectionRoutes(http._app)  # type: ignore[assignment]  # what published SDKs (js-sdk 2.9.0) send; an ASGI wrapper
    if SimConfig.from_env().preempt:
        http._app = _FreshSessionGate(http._app, runner)  # type: ignore[assignment]  # an ASGI wrapper, not a FastAPI
    service.add(http)
    return service


async def _serve(host: str, port: int) -> int:
    service = build_service(host, port)
    await service.run()
    service.bound_process_exit()
    return service.exit_code


def main() -> None:
    """Serve the simulator on ``HOST`` (default 127.0.0.1) : ``PORT`` (default 8080)."""
    from reactor_runtime import log
    from reactor_runtime import serve as rt_serve

    SimConfig.from_env()  # fail fast, before the runtime starts, on a bad setting
    log.configure(level=rt_serve._log_level_from_env())
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8080"))
    code = asyncio.run(_serve(host, port))
    if code:
        raise SystemExit(code)


if __name__ == "__main__":
    main()
