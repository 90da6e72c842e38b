"""`llv clips`: cut a take into one MP4 per scene (or per beat), frame-exact.

Where a scene or a beat begins comes from the trace (the chunks at which the model's prompt
changed and its scene clock restarted); which video frames hold those chunks comes from the frames'
own stamps (the simulator's), so dropped frames cannot shift a cut. A take without stamps (the
hosted model's) is cut by the model's frame counts (`chunk_complete.frames_emitted`) instead, which
is exact only when no frame was dropped; the command says so.

A clip is copied packet by packet, without re-encoding, when its first frame is a key frame and
the video has no reordered (B) frames: the cut is then exact and lossless. Any other clip is
re-encoded, that clip alone, from its first frame to its last (H.264, the take's size and rate).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from .. import model
from ..output import replacing
from . import stamp_chunks
from .report import ReportError, frame_stamp, open_video, read_take

CRF = 18
PRESET = "veryfast"


@dataclass
class Clip:
    """One clip written: which frames of the take it holds and how it was made."""

    path: str
    kind: str  # scene | opener | cut | shot
    first_chunk: int
    end_chunk: int | None  # exclusive; None = to the end of the take
    first_frame: int
    frames: int
    copied: bool


@dataclass
class _Frames:
    pts: list[int]  # presentation timestamps in decode order of frames (= display order, checked)
    key: list[bool]
    stamps: list[Any]
    reordered: bool


def _scan(video: str) -> _Frames:
    """Decode the whole take once: each frame's pts, whether it is a key frame, and its stamp."""
    pts: list[int] = []
    key: list[bool] = []
    stamps: list[Any] = []
    packet_pts: list[int] = []
    with open_video(video) as (container, stream):
        for packet in container.demux(stream):
            if packet.pts is not None:
                packet_pts.append(packet.pts)
            for frame in packet.decode():
                pts.append(frame.pts if frame.pts is not None else len(pts))
                key.append(bool(frame.key_frame))
                stamps.append(frame_stamp(frame))
    return _Frames(pts, key, stamps, reordered=packet_pts != sorted(packet_pts))


def _segments(fired: list, per: str) -> list[tuple[str, int]]:
    """(kind, first chunk) of each clip, in order, from the beats the trace shows firing."""
    if per == "scene":
        return [("scene", f.chunk) for f in fired if f.kind in (model.OPENER, model.CUT)]
    return [(f.kind, f.chunk) for f in fired]


def _first_frames(frames: _Frames, emitted: dict[int, int], chunks: list[int]) -> tuple[list[int], bool]:
    """The first frame index of each chunk in `chunks`, and whether the stamps (not the trace) said so."""
    filled = stamp_chunks(frames.stamps)
    if filled is not None:
        out = [next((i for i, c in enumerate(filled) if c >= chunk), len(filled)) for chunk in chunks]
        return out, True
    if not emitted:
        raise ReportError("the video carries no frame stamps and the trace no frame counts: "
                          "there is nothing to cut by")
    return [min(len(frames.pts), 0 if c == 0 else emitted.get(c - 1, len(frames.pts))) for c in chunks], False


def _seek(source, stream, frames: _Frames, first: int) -> None:
    """Start reading at the key frame at or before frame `first` (not at the take's start: a clip late in a
    long take would otherwise read, or decode, everything before it)."""
    if first > 0:
        source.seek(frames.pts[first], stream=stream, backward=True, any_frame=False)


def _copy(video: str, path: str, frames: _Frames, first: int, stop: int) -> None:
    import av

    wanted = set(frames.pts[first:stop])
    offset = frames.pts[first]
    with av.open(video) as source, av.open(path, mode="w", format="mp4") as out:
        stream = source.streams.video[0]
        target = out.add_stream_from_template(stream)
        _seek(source, stream, frames, first)
        for packet in source.demux(stream):
            if packet.pts is None or packet.pts not in wanted:
                if packet.pts is not None and packet.pts > frames.pts[stop - 1]:
                    break  # packets come in display order here (a copied clip has no reordered frames)
                continue
            packet.pts -= offset
            packet.dts = packet.pts if packet.dts is None else packet.dts - offset
            packet.stream = target
            out.mux(packet)


def _reencode(video: str, path: str, frames: _Frames, first: int, stop: int) -> None:
    import av

    wanted = set(frames.pts[first:stop])
    offset = frames.pts[first]
    with av.open(video) as source, av.open(path, mode="w", format="mp4") as out:
        stream = source.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or 24
        target = out.add_stream("libx264", rate=rate)
        target.width, target.height, target.pix_fmt = stream.codec_context.width, stream.codec_context.height, "yuv420p"
        target.time_base = stream.time_base
        target.options = {"preset": PRESET, "crf": str(CRF)}
        _seek(source, stream, frames, first)
        for frame in source.decode(stream):
            if frame.pts not in wanted:
                if frame.pts is not None and frame.pts > frames.pts[stop - 1]:
                    break
                continue
            frame.pts -= offset
            frame.pict_type = av.video.frame.PictureType.NONE
            for packet in target.encode(frame):
                out.mux(packet)
        for packet in target.encode(None):
            out.mux(packet)


def cut_clips(video: str, records: list[dict[str, Any]], folder: str, per: str = "scene") -> tuple[list[Clip], bool]:
    """Write one clip per scene or per beat of the take into `folder`; the clips, and whether stamps placed them."""
    if per not in ("scene", "beat"):
        raise ValueError(f"per must be scene or beat, got {per!r}")
    take = read_take(records, None)
    segments = _segments(take.fired, per)
    if not segments:
        raise ReportError("the trace shows no chunk the model generated: there is nothing to cut")
    frames = _scan(video)
    if not frames.pts:
        raise ReportError(f"{video} holds no frames")
    # The take ends where the run said it did (its `end` record), else with the last chunk the model
    # reported: a frame recorded past it is no scene's.
    done = take.end.get("chunks_done")
    last_chunk = done - 1 if isinstance(done, int) and done > 0 else max(take.emitted, default=None)
    bounds = [c for _, c in segments] + ([last_chunk + 1] if last_chunk is not None else [])
    firsts, stamped = _first_frames(frames, take.emitted, bounds)
    firsts.append(len(frames.pts))
    os.makedirs(folder, exist_ok=True)
    clips: list[Clip] = []
    for n, (kind, chunk) in enumerate(segments):
        first, stop = firsts[n], firsts[n + 1]
        end_chunk = segments[n + 1][1] if n + 1 < len(segments) else None
        if stop <= first:
            continue  # the take stops before this segment's first frame
        final = end_chunk - 1 if end_chunk is not None else last_chunk
        name = f"{n + 1:02d}-{kind}-chunks-{chunk:03d}-{'end' if final is None else f'{final:03d}'}.mp4"
        path = os.path.join(folder, name)
        copied = frames.key[first] and not frames.reordered
        with replacing(path, ".tmp.mp4") as tmp:
            (_copy if copied else _reencode)(video, tmp, frames, first, stop)
        clips.append(Clip(path, kind, chunk, end_chunk, first, stop - first, copied))
    return clips, stamped
