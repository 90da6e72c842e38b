"""Reading the monitor's live stream (`GET /live`) in tests: state and frame records."""

from __future__ import annotations

import io
import json
import struct
from collections.abc import Iterator

import numpy as np


def records(chunks: Iterator[bytes]) -> Iterator[tuple[str, object]]:
    """(kind, value) per record: ("S", state dict) or ("F", (header dict, JPEG bytes))."""
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= 5:
            size = struct.unpack(">I", buffer[1:5])[0]
            if len(buffer) < 5 + size:
                break
            kind, payload, buffer = buffer[:1].decode(), buffer[5 : 5 + size], buffer[5 + size :]
            if kind == "S":
                yield kind, json.loads(payload)
            else:
                head = struct.unpack(">H", payload[:2])[0]
                yield kind, (json.loads(payload[2 : 2 + head]), payload[2 + head :])


def stamp_of(jpeg: bytes):
    """The simulator's stamp in a JPEG frame (None when unreadable)."""
    from PIL import Image

    from longlive_dsl.sim.frames import read_stamp

    return read_stamp(np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB")))
