"""Frame synthesis for the LongLive-2.0 simulator, and the decoder for what it stamps.

Every frame the simulator sends shows three things:

- a background colour per scene (a cut changes it; a soft shot keeps it),
- the first words of the active prompt, drawn large enough to read, with a small line naming
  the scene, the chunk in the scene, the session chunk and the scene's budget spent, a progress
  bar along the bottom that fills over the chunk's frames, and above it a thin amber bar that
  fills as the scene spends its 48-chunk budget,
- a machine-readable **stamp** in the top-left corner: 2 rows x 32 square blocks, black = 0,
  white = 1, that carry the session chunk, the chunk in the scene, the scene number and the
  frame in the chunk, protected by a marker and a CRC-16. Blocks are ``width // 40`` pixels
  wide (16 px at 640x352, 32 px at 1280x704) and start on that grid, so they survive VP8
  compression; :func:`read_stamp` reads them back from a decoded RGB frame and returns
  ``None`` when the marker or the CRC does not match (a blurred key frame, a foreign video).

Bit layout, most significant first, row 0 then row 1 (64 bits)::

    marker 4 (0b1011) | session_chunk 16 | chunk_in_scene 8 | scene_number 12 |
    frame_in_chunk 8 | crc16 16 (CRC-CCITT of the 6 bytes holding the fields above)

Fields are stored modulo their width (session chunks past 65535 wrap).

Drawing is cached: the text layer is drawn once per chunk with Pillow, and each frame is a
copy of it with the stamp and the progress bar painted in with numpy slices.
"""

from __future__ import annotations

import binascii
import colorsys
import textwrap
from dataclasses import dataclass
from typing import cast

import numpy as np

from longlive_dsl.model import SCENE_BUDGET_CHUNKS

STAMP_COLS = 32
STAMP_ROWS = 2
STAMP_BITS = STAMP_COLS * STAMP_ROWS
_MARKER = 0b1011
_FIELDS = (("session_chunk", 16), ("chunk_in_scene", 8), ("scene_number", 12), ("frame_in_chunk", 8))

DEFAULT_SIZE = (640, 352)
"""Default frame size (width, height): keeps real time on 2 cores. 1280x704 is the hosted size."""

PROMPT_WORDS = 10
"""How many words of the active prompt a frame shows."""


@dataclass(frozen=True)
class Stamp:
    """What one frame says about itself (all 0-based)."""

    session_chunk: int
    chunk_in_scene: int
    scene_number: int
    frame_in_chunk: int


def block_size(width: int) -> int:
    """Side of one stamp block in pixels for a frame ``width`` pixels wide."""
    return max(4, width // 40)


def check_size(width: int, height: int) -> None:
    """Refuse a frame size the stamp or the VP8 encoder cannot take."""
    if width < 160 or height < 96:
        raise ValueError(f"frame size {width}x{height} is too small (at least 160x96)")
    if width % 16 or height % 16:
        raise ValueError(f"frame size {width}x{height}: width and height must be multiples of 16")
    if width > 3840 or height > 2160:
        raise ValueError(f"frame size {width}x{height} is too large (at most 3840x2160)")


def parse_size(text: str) -> tuple[int, int]:
    """``"640x352"`` -> ``(640, 352)``, checked with :func:`check_size`."""
    try:
        w, h = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"frame size {text!r} must look like WIDTHxHEIGHT, e.g. 640x352") from None
    check_size(w, h)
    return w, h


def _pack_fields(stamp: Stamp) -> int:
    value = 0
    for name, width in _FIELDS:
        value = (value << width) | (getattr(stamp, name) & ((1 << width) - 1))
    return value  # 44 bits


def stamp_bits(stamp: Stamp) -> list[int]:
    """The 64 bits a frame carries for ``stamp``, row 0 first, most significant first."""
    fields = _pack_fields(stamp)
    crc = binascii.crc_hqx(fields.to_bytes(6, "big"), 0xFFFF)
    word = (_MARKER << 60) | (fields << 16) | crc
    return [(word >> (STAMP_BITS - 1 - i)) & 1 for i in range(STAMP_BITS)]


def _bits_to_stamp(bits: list[int]) -> Stamp | None:
    word = 0
    for bit in bits:
        word = (word << 1) | bit
    if word >> 60 != _MARKER:
        return None
    fields = (word >> 16) & ((1 << 44) - 1)
    if binascii.crc_hqx(fields.to_bytes(6, "big"), 0xFFFF) != word & 0xFFFF:
        return None
    values = {}
    shift = 44
    for name, width in _FIELDS:
        shift -= width
        values[name] = (fields >> shift) & ((1 << width) - 1)
    return Stamp(**values)


def paint_stamp(frame: np.ndarray, stamp: Stamp) -> None:
    """Paint ``stamp`` into the top-left corner of an RGB ``frame`` (H, W, 3) in place."""
    b = block_size(frame.shape[1])
    bits = stamp_bits(stamp)
    for i, bit in enumerate(bits):
        row, col = divmod(i, STAMP_COLS)
        frame[row * b : (row + 1) * b, col * b : (col + 1) * b] = 255 if bit else 0


def read_stamp(frame: np.ndarray) -> Stamp | None:
    """Decode the stamp of an RGB (or greyscale) frame, ``None`` if it carries no valid stamp.

    ``frame`` is what ``av.VideoFrame.to_ndarray(format="rgb24")`` gives (H, W, 3) or a single
    plane (H, W). Each block is read from its central half, thresholded at mid grey.
    """
    arr = np.asarray(frame)
    if arr.ndim not in (2, 3):
        return None
    height, width = arr.shape[:2]
    b = block_size(width)
    if STAMP_ROWS * b > height or STAMP_COLS * b > width:
        return None
    # Only the blocks' central halves are read, in one reduction (clients call this on every frame).
    corner = arr[: STAMP_ROWS * b, : STAMP_COLS * b].reshape(STAMP_ROWS, b, STAMP_COLS, b, -1)
    q = max(1, b // 4)
    blocks = corner[:, q : b - q, :, q : b - q, :3]
    bits = (blocks.mean(axis=(1, 3, 4)) >= 128).astype(int).ravel().tolist()
    return _bits_to_stamp(bits)


def scene_colour(scene_number: int) -> tuple[int, int, int]:
    """The background colour of a scene: hues spread by the golden ratio, dark enough for white text."""
    hue = (0.58 + scene_number * 0.618033988749895) % 1.0
    r, g, b = colorsys.hsv_to_rgb(hue, 0.6, 0.5)
    return int(r * 255), int(g * 255), int(b * 255)


def prompt_words(prompt: str, count: int = PROMPT_WORDS) -> str:
    """The first ``count`` words of a prompt (with an ellipsis when there are more)."""
    words = prompt.split()
    text = " ".join(words[:count])
    return text + (" ..." if len(words) > count else "")


class FrameRenderer:
    """Draws the simulator's frames; one instance per stream, not thread-safe.

    ``render(info)`` takes anything with the attributes of :class:`longlive_dsl.sim.FrameInfo`
    (session_chunk, chunk_in_scene, scene_number, frame_in_chunk, prompt) and returns a new
    uint8 RGB array of shape (height, width, 3).
    """

    def __init__(self, width: int, height: int, frames_per_chunk: int) -> None:
        check_size(width, height)
        if frames_per_chunk < 1:
            raise ValueError("frames_per_chunk must be at least 1")
        self.width, self.height, self.frames_per_chunk = width, height, frames_per_chunk
        self._key: tuple | None = None
        self._base: np.ndarray | None = None
        from PIL import ImageFont

        # With a size, Pillow's default font is its scalable FreeType font.
        self._font = cast(ImageFont.FreeTypeFont, ImageFont.load_default(size=max(12, height // 12)))
        self._small = cast(ImageFont.FreeTypeFont, ImageFont.load_default(size=max(10, height // 24)))
        self._bar = max(4, height // 44)

    def _draw_base(self, prompt: str, scene: int, chunk_in_scene: int, session_chunk: int) -> np.ndarray:
        from PIL import Image, ImageDraw

        w, h = self.width, self.height
        colour = scene_colour(scene)
        img = Image.new("RGB", (w, h), colour)
        draw = ImageDraw.Draw(img)
        top = STAMP_ROWS * block_size(w) + h // 20
        # People count scenes from 1, as `llv plan` does; the stamp keeps the engine's 0-based number.
        info = (f"scene {scene + 1}  ·  chunk {chunk_in_scene} in scene  ·  session chunk {session_chunk}"
                f"  ·  budget {chunk_in_scene + 1}/{SCENE_BUDGET_CHUNKS}")
        draw.text((w // 20, top), info, font=self._small, fill=(235, 235, 235))
        chars = max(10, int(w / (self._font.size * 0.55)))
        lines = textwrap.wrap(prompt_words(prompt), width=chars)[:4] or [""]
        y = top + self._small.size * 2
        for line in lines:
            draw.text(
                (w // 20, y), line, font=self._font, fill=(255, 255, 255),
                stroke_width=max(1, self._font.size // 16), stroke_fill=(0, 0, 0),
            )
            y += int(self._font.size * 1.25)
        arr = np.asarray(img, dtype=np.uint8).copy()
        arr[h - self._bar :, :] = (32, 32, 32)
        # The scene's budget: a thin bar above the chunk's, filling as the scene spends its 48 chunks.
        used = w * min(chunk_in_scene + 1, SCENE_BUDGET_CHUNKS) // SCENE_BUDGET_CHUNKS
        arr[h - self._bar - max(2, self._bar // 2) : h - self._bar, :used] = (214, 168, 60)
        return arr

    def render(self, info) -> np.ndarray:
        key = (info.prompt, info.scene_number, info.chunk_in_scene, info.session_chunk)
        if key != self._key or self._base is None:
            self._base = self._draw_base(*key)
            self._key = key
        frame = self._base.copy()
        per_chunk = getattr(info, "chunk_frames", None) or self.frames_per_chunk
        filled = self.width * min(info.frame_in_chunk + 1, per_chunk) // per_chunk
        frame[self.height - self._bar :, :filled] = (255, 255, 255)
        paint_stamp(
            frame,
            Stamp(info.session_chunk, info.chunk_in_scene, info.scene_number, info.frame_in_chunk),
        )
        return frame
