"""`llv preview`: the animatic, the storyboard played through the simulator's own engine, as fast as it encodes.

No WebRTC and no real-time pacing: the compiled Program's commands go into
:class:`longlive_dsl.sim.engine.Engine`, every frame it produces is drawn by
:class:`longlive_dsl.sim.frames.FrameRenderer` (the very frames, stamps included, that `llv serve`
streams) and encoded straight to H.264 MP4 with PyAV. With a frame step N only every Nth frame is
drawn and encoded, at 24/N frames per second, so the animatic keeps the storyboard's real length.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

from .. import model
from ..output import replacing
from ..program import Program

PRESET = "ultrafast"
"""x264 preset: the animatic favours speed; the pictures are flat colour and text."""
CRF = 20


class PreviewError(Exception):
    """The engine refused the Program or the video could not be written."""


@dataclass
class Preview:
    """What `render_preview` wrote."""

    path: str
    width: int
    height: int
    step: int
    clock: model.Clock
    chunks: int
    frames_played: int
    frames_written: int
    seconds: float
    elapsed: float
    fired: list[tuple[str, int]] = field(default_factory=list)  # (kind, session chunk) in firing order

    @property
    def real_time_multiple(self) -> float:
        """Seconds of video per second of rendering."""
        return self.seconds / self.elapsed if self.elapsed > 0 else float("inf")


def _load(engine, program: Program) -> None:
    for command in program.commands:
        data = command.data.model_dump(mode="json")
        for message in engine.handle(command.type, data):
            if message.type == model.COMMAND_ERROR:
                raise PreviewError(f"the simulator refused {command.type}: {message.data.get(model.REASON)}")


def render_preview(
    program: Program,
    path: str | os.PathLike[str],
    *,
    size: tuple[int, int] = (640, 352),
    step: int = 1,
    clock: model.Clock = model.DEFAULT_CLOCK,
    progress: Callable[[int, int], None] | None = None,
) -> Preview:
    """Play `program` on the simulator's engine and write its frames to an H.264 MP4 at `path`.

    The file is written beside `path` and renamed into place only when complete.
    `progress(chunks_done, chunks_total)` is called at every chunk boundary.
    """
    import av

    from ..sim.engine import Engine
    from ..sim.frames import FrameRenderer, check_size

    if step < 1:
        raise PreviewError(f"the frame step must be at least 1, got {step}")
    try:
        check_size(*size)
    except ValueError as e:
        raise PreviewError(str(e)) from None
    width, height = size
    stop = program.end if program.end is not None else program.stops_at
    engine = Engine(frames_per_chunk=clock)  # each frame it gives carries its chunk's length on this clock
    _load(engine, program)
    renderer = FrameRenderer(width, height, clock.first_chunk_frames)

    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise PreviewError(f"cannot write {path}: there is no folder {folder}")
    started = time.perf_counter()
    played = written = 0
    chunks = 0
    key_next = False
    fired: list[tuple[str, int]] = []
    rate = Fraction(model.FPS, step)
    try:
        with replacing(path, ".tmp.mp4") as tmp, av.open(tmp, mode="w", format="mp4") as container:
            stream = container.add_stream("libx264", rate=rate)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.time_base = 1 / rate
            stream.codec_context.gop_size = max(1, 2 * model.FPS // step)
            stream.options = {"preset": PRESET, "crf": str(CRF)}
            while chunks < stop:
                info, messages = engine.step_frame()
                if info is None:
                    break  # the model completed the scene
                if played % step == 0:
                    frame = av.VideoFrame.from_ndarray(renderer.render(info), format="rgb24")
                    frame.pts = written
                    if key_next:  # a beat's first frame is a key frame: clips cut there without re-encoding
                        frame.pict_type = av.video.frame.PictureType.I
                        key_next = False
                    for packet in stream.encode(frame):
                        container.mux(packet)
                    written += 1
                played += 1
                for message in messages:
                    if message.type == model.CHUNK_COMPLETE:
                        chunks += 1
                        if progress is not None:
                            progress(chunks, stop)
                if messages and len(engine.fired) > len(fired):
                    fired.extend((b.kind, b.at_session_chunk) for b in engine.fired[len(fired):])
                    key_next = True
            for packet in stream.encode(None):
                container.mux(packet)
    except av.FFmpegError as e:
        raise PreviewError(f"cannot write {path}: {e}") from None
    return Preview(
        path=path, width=width, height=height, step=step, clock=clock, chunks=chunks,
        frames_played=played, frames_written=written, seconds=played / model.FPS,
        elapsed=time.perf_counter() - started, fired=fired,
    )


def viewer() -> list[str] | None:
    """The command that opens a video with the desktop's viewer, or None where there is none."""
    import shutil
    import sys

    if sys.platform == "darwin":
        return ["open"]
    if os.name == "nt":
        return ["cmd", "/c", "start", ""]
    found = shutil.which("xdg-open")
    return [found] if found else None
