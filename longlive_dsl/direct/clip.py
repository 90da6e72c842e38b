"""Snap clips: the last seconds of received video (a ring the director keeps), written as an MP4 on demand."""

from __future__ import annotations

import os
from fractions import Fraction
from typing import Any

from .. import model

CLIP_SECONDS = 10.0
"""How much video a snap clip holds by default (as Reactor's web app)."""


def write_clip(frames: list[Any], path: str, fps: int = model.FPS) -> int:
    """Encode `frames` as an H.264 MP4 at `path` (written to a temporary file, then renamed); frames written."""
    import av

    if not frames:
        raise ValueError("no video has arrived yet")
    tmp = f"{path}.tmp{os.getpid()}.mp4"
    first = frames[0]
    width, height = first.width - first.width % 2, first.height - first.height % 2
    try:
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
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return len(frames)
