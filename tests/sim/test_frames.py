"""Frame synthesis: stamps decode exactly, survive a real VP8 encode/decode, and drawing is cached."""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np
import pytest

from longlive_dsl.sim import FrameInfo
from longlive_dsl.sim.frames import (
    FrameRenderer,
    Stamp,
    block_size,
    parse_size,
    prompt_words,
    read_stamp,
    scene_colour,
    stamp_bits,
)

PROMPT = "a red fox trots through fresh snow at dawn, low sun, long shadows, cinematic"


def info(session_chunk=0, chunk_in_scene=0, scene=0, frame=0, prompt=PROMPT) -> FrameInfo:
    return FrameInfo(session_chunk=session_chunk, chunk_in_scene=chunk_in_scene, scene_number=scene,
                     frame_in_chunk=frame, prompt=prompt)


@pytest.mark.parametrize("size", [(640, 352), (1280, 704), (320, 192), (160, 96)])
def test_stamp_round_trip_raw(size):
    r = FrameRenderer(*size, frames_per_chunk=29)
    for fi in (info(0, 0, 0, 0), info(17, 5, 2, 28), info(65535, 255, 4095, 255), info(100, 47, 3, 13)):
        frame = r.render(fi)
        assert frame.shape == (size[1], size[0], 3) and frame.dtype == np.uint8
        assert read_stamp(frame) == Stamp(fi.session_chunk, fi.chunk_in_scene, fi.scene_number, fi.frame_in_chunk)


def test_fields_wrap_at_their_width():
    r = FrameRenderer(640, 352, 29)
    assert read_stamp(r.render(info(65536 + 7, 1, 0, 2))) == Stamp(7, 1, 0, 2)


def test_no_stamp_on_other_pictures():
    rng = np.random.default_rng(1)
    assert read_stamp(np.zeros((352, 640, 3), np.uint8)) is None
    assert read_stamp(np.full((352, 640, 3), 255, np.uint8)) is None
    assert all(read_stamp(rng.integers(0, 256, (352, 640, 3), dtype=np.uint8)) is None for _ in range(20))
    assert read_stamp(np.zeros((10, 10, 3), np.uint8)) is None  # too small to hold one


def test_one_flipped_block_is_caught_by_the_crc():
    frame = FrameRenderer(640, 352, 29).render(info(9, 3, 1, 4))
    b = block_size(640)
    for bit in (5, 20, 40):  # inside session_chunk, chunk_in_scene+scene, frame field
        damaged = frame.copy()
        row, col = divmod(bit, 32)
        block = damaged[row * b:(row + 1) * b, col * b:(col + 1) * b]
        block[...] = 255 - block
        assert read_stamp(damaged) is None


def test_bits_layout():
    bits = stamp_bits(Stamp(1, 2, 3, 4))
    assert len(bits) == 64 and bits[:4] == [1, 0, 1, 1]


def test_reads_greyscale_and_bgra():
    frame = FrameRenderer(640, 352, 29).render(info(3, 3, 0, 1))
    want = Stamp(3, 3, 0, 1)
    assert read_stamp(frame.mean(axis=2)) == want
    bgra = np.concatenate([frame[..., ::-1], np.full(frame.shape[:2] + (1,), 255, np.uint8)], axis=2)
    assert read_stamp(bgra) == want


def test_scene_colours_differ_and_prompt_is_shortened():
    assert len({scene_colour(n) for n in range(8)}) == 8
    assert prompt_words("one two three", 2) == "one two ..."
    assert prompt_words("one two", 2) == "one two"


def test_sizes_are_checked():
    assert parse_size("1280x704") == (1280, 704)
    for bad in ("640", "640x350", "64x32", "axb", "8000x8000"):
        with pytest.raises(ValueError):
            parse_size(bad)


def test_drawing_is_cached_per_chunk():
    r = FrameRenderer(640, 352, 29)
    draw = r._draw_base
    drawn = []
    r._draw_base = lambda *key: drawn.append(key) or draw(*key)  # type: ignore[method-assign]
    r.render(info(0, 0, 0, 0))
    start = time.perf_counter()
    for f in range(1, 29):
        r.render(info(0, 0, 0, f))
    per_frame = (time.perf_counter() - start) / 28
    assert per_frame < 0.01, f"{per_frame * 1000:.1f} ms per cached frame"
    # (An uncached frame costs ~7 ms too, so the clock alone does not prove the cache.)
    assert len(drawn) == 1, "the text layer was redrawn inside one chunk"
    r.render(info(1, 1, 0, 0))
    assert len(drawn) == 2, "a new chunk must redraw its caption"
    # A new prompt (a soft shot) redraws the text, the scene colour stays.
    a, b = r.render(info(1, 1, 0, 0)), r.render(info(1, 1, 0, 0, prompt="something else entirely"))
    assert not np.array_equal(a, b)
    assert tuple(a[-60, 320]) == tuple(b[-60, 320]) == scene_colour(0)


@pytest.mark.parametrize("size,bit_rate", [((640, 352), 300_000), ((1280, 704), 800_000)])
def test_stamps_survive_vp8(size, bit_rate):
    """Encode a few chunks with libvpx at a modest bitrate, decode, and read every stamp back."""
    import av
    fpc, fps = 7, 24
    r = FrameRenderer(*size, frames_per_chunk=fpc)
    sent = []
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = size[0], size[1], "yuv420p"
    codec.time_base = Fraction(1, fps)
    codec.bit_rate = bit_rate
    codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    packets = []
    n = 0
    for chunk in range(5):
        scene = chunk // 3
        prompt = PROMPT if scene == 0 else "a lighthouse in a storm"
        for f in range(fpc):
            fi = info(chunk, chunk - 3 * scene, scene, f, prompt)
            frame = av.VideoFrame.from_ndarray(r.render(fi), format="rgb24").reformat(format="yuv420p")
            frame.pts = n
            n += 1
            sent.append(Stamp(fi.session_chunk, fi.chunk_in_scene, fi.scene_number, fi.frame_in_chunk))
            packets += codec.encode(frame)
    packets += codec.encode(None)
    decoder = av.CodecContext.create("libvpx", "r")
    got = []
    for packet in packets:
        for frame in decoder.decode(packet):
            got.append(read_stamp(frame.to_ndarray(format="rgb24")))
    assert len(got) == len(sent)
    assert got == sent
