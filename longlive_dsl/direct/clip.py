"""Snap clips: the last seconds of received video (a ring the director keeps), written as an MP4 on demand."""

from __future__ import annotations

from collections import deque
from fractions import Fraction
from typing import Any

from .. import model
from ..output import replacing

CLIP_SECONDS = 10.0
"""How much video a snap clip holds by default (as Reactor's web app)."""
CLIP_MEMORY = 256 * 1024 * 1024
"""Bytes of decoded frames the ring keeps at most, whatever the frame size and `--clip-seconds`:
10 s at 640x352 is about 81 MB; at the hosted 1280x704, 256 MiB holds about 8.3 s."""


class ClipRing:
    """The last `seconds` of decoded frames, within `memory` bytes (the oldest frames go first)."""

    def __init__(self, seconds: float = CLIP_SECONDS, memory: int = CLIP_MEMORY, fps: int = model.FPS):
        self.limit = max(1, int(seconds * fps))
        self.memory = memory
        self.bytes = 0
        self.memory_bound = False
        """Frames were let go for memory, not for age: a clip now holds less than `seconds`."""
        self._frames: deque[tuple[Any, int]] = deque()

    def append(self, frame: Any) -> None:
        size = _frame_bytes(frame)
        self._frames.append((frame, size))
        self.bytes += size
        while len(self._frames) > self.limit:
            self.bytes -= self._frames.popleft()[1]
        while self.bytes > self.memory and len(self._frames) > 1:
            self.bytes -= self._frames.popleft()[1]
            self.memory_bound = True

    def frames(self) -> list[Any]:
        return [frame for frame, _ in self._frames]

    def __len__(self) -> int:
        return len(self._frames)


def _frame_bytes(frame: Any) -> int:
    """The bytes a decoded frame holds (its planes), or an estimate for yuv420p when it has none."""
    planes = getattr(frame, "planes", None)
    if planes:
        return sum(int(p.buffer_size) for p in planes)
    return int(frame.width * frame.height * 3 // 2)


def write_clip(frames: list[Any], path: str, fps: int = model.FPS) -> int:
    """Encode `frames` as an H.264 MP4 at `path` (written to a temporary file, then renamed); frames written."""
    import av

    if not frames:
        raise ValueError("no video has arrived yet")
    first = frames[0]
    width, height = first.width - first.width % 2, first.height - first.height % 2
    with replacing(path, ".tmp.mp4") as tmp:
        with av.open(tmp, "w") as out:
            stream = out.add_stream("libx264", rate=fps)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.time_base = Fraction(1, fps)
            stream.options = {"preset": "veryfast"}
            for i, frame in enumerate(frames):
                img = frame.reformat(width=width, height=height, format="yuv420p")
                img.pts, img.time_base = i, Fraction(1, fps)
                for packet in stream.encode(img):
                    out.mux(packet)
            for packet in stream.encode():
                out.mux(packet)
    return len(frames)
