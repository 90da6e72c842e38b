"""The snap-clip ring: the last seconds of frames, and never more than its memory, whatever the frame
size or `--clip-seconds` asks (decoded frames are large: 1.3 MB each at the hosted 1280x704)."""

import av

from longlive_dsl.direct.clip import ClipRing


def frame(width=640, height=352, n=0):
    f = av.VideoFrame(width, height, "yuv420p")
    f.pts = n
    return f


def test_the_ring_keeps_the_last_seconds_of_frames_in_order():
    ring = ClipRing(seconds=1.0, fps=24)
    for n in range(60):
        ring.append(frame(n=n))
    assert [f.pts for f in ring.frames()] == list(range(36, 60))
    assert not ring.memory_bound


def test_the_ring_never_holds_more_than_its_memory_and_says_so():
    one = 1280 * 704 * 3 // 2
    ring = ClipRing(seconds=600.0, memory=10 * one, fps=24)  # 10 minutes asked, room for 10 frames
    for n in range(500):
        ring.append(frame(1280, 704, n))
    assert len(ring) == 10 and ring.bytes <= 10 * one
    assert [f.pts for f in ring.frames()] == list(range(490, 500))
    assert ring.memory_bound


def test_a_frame_larger_than_the_memory_is_still_kept_alone():
    ring = ClipRing(seconds=10.0, memory=1000)
    ring.append(frame(n=1))
    ring.append(frame(n=2))
    assert [f.pts for f in ring.frames()] == [2]
