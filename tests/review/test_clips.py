"""`llv clips`: one MP4 per scene or per beat of a real take, holding exactly that scene's or beat's frames."""

from __future__ import annotations

from pathlib import Path

import pytest

from longlive_dsl.cli import main


def _stamps(video: Path) -> list:
    import av

    from longlive_dsl.sim.frames import read_stamp

    with av.open(str(video)) as container:
        return [read_stamp(f.to_ndarray(format="rgb24")) for f in container.decode(video=0)]


def _key_frames(video: Path) -> list[bool]:
    import av

    with av.open(str(video)) as container:
        return [bool(f.key_frame) for f in container.decode(video=0)]


@pytest.mark.parametrize(("per", "starts"), [("scene", [0, 5, 10]), ("beat", [0, 5, 10, 14])])
def test_each_clip_holds_exactly_its_frames(take, tmp_path, per, starts, capsys):
    out = tmp_path / "clips"
    assert main(["clips", str(take.video), "--trace", str(take.trace), "-o", str(out), "--per", per]) == 0
    err = capsys.readouterr().err
    clips = sorted(out.glob("*.mp4"))
    assert len(clips) == len(starts)
    whole = _stamps(take.video)
    keys = _key_frames(take.video)
    filled, current = [], 0  # a frame whose stamp did not survive the codecs belongs with the one before it
    for s in whole:
        current = s.session_chunk if s is not None else current
        filled.append(current)
    assert sum(s is None for s in whole) <= 0.03 * len(whole)
    bounds = starts + [20]
    for clip, first, stop in zip(clips, bounds, bounds[1:], strict=False):
        a = next(i for i, c in enumerate(filled) if c >= first)
        b = next((i for i, c in enumerate(filled) if c >= stop), len(filled))
        assert set(filled[a:b]) == set(range(first, stop))
        got = _stamps(clip)
        assert len(got) == b - a, clip.name  # every frame of the scene/beat, nothing else
        assert all(g == w for g, w in zip(got, whole[a:b], strict=True) if g is not None and w is not None), clip.name
        how = "copied" if keys[a] else "re-encoded"
        assert f"{clip}: {b - a} frames from frame {a}, {how}" in err
    assert f"wrote {len(starts)} clips into {out}" in err


def test_a_clip_starting_on_a_key_frame_is_copied_not_re_encoded(take, tmp_path):
    import av

    from longlive_dsl.review.clips import cut_clips
    from longlive_dsl.runtime.trace import read_trace

    made, stamped = cut_clips(str(take.video), read_trace(take.trace), str(tmp_path / "c"), per="scene")
    assert stamped
    first = made[0]
    assert first.first_frame == 0 and first.copied  # a take starts on a key frame
    with av.open(str(take.video)) as whole, av.open(first.path) as clip:
        original = [bytes(p) for p in whole.demux(video=0) if p.size][: first.frames]
        copied = [bytes(p) for p in clip.demux(video=0) if p.size]
    assert copied == original  # the very packets: no re-encoding


def test_bad_inputs_are_refused_plainly(take, tmp_path, capsys):
    assert main(["clips", str(tmp_path / "none.mp4"), "--trace", str(take.trace), "-o", str(tmp_path / "o")]) == 2
    assert "cannot read the video" in capsys.readouterr().err
    assert main(["clips", str(tmp_path), "--trace", str(take.trace), "-o", str(tmp_path / "o")]) == 2
    assert f"cannot read the video {tmp_path}: it is a folder" in capsys.readouterr().err
    not_video = tmp_path / "x.mp4"
    not_video.write_bytes(b"not a video at all")
    assert main(["clips", str(not_video), "--trace", str(take.trace), "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "cannot read the video" in err and "not a video llv can read" in err and "Errno" not in err
    assert main(["clips", str(take.video), "--trace", str(take.video), "-o", str(tmp_path / "o")]) == 2
    assert "is not a trace" in capsys.readouterr().err
    assert not list((tmp_path / "o").glob("*.mp4")) if (tmp_path / "o").exists() else True


def test_a_take_without_stamps_is_cut_by_the_models_frame_counts_and_says_so(take, tmp_path, capsys):
    import av

    from longlive_dsl.runtime.trace import read_trace

    plain = tmp_path / "plain.mp4"  # the take with its stamps painted out, as the hosted model's would be
    with av.open(str(take.video)) as source, av.open(str(plain), mode="w") as out:
        stream = out.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 320, 176, "yuv420p"
        for frame in source.decode(video=0):
            pixels = frame.to_ndarray(format="rgb24")
            pixels[:24] = 0
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
        frames = stream.frames
    emitted = {r["frame"]["data"]["session_chunk"]: r["frame"]["data"]["frames_emitted"] for r in read_trace(take.trace)
               if r.get("kind") == "recv" and r["frame"].get("type") == "chunk_complete"}
    out = tmp_path / "clips"
    assert main(["clips", str(plain), "--trace", str(take.trace), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "carries no frame stamps" in err
    bounds = [0, emitted[4], emitted[9], min(frames, emitted[19])]
    for clip, first, stop in zip(sorted(out.glob("*.mp4")), bounds, bounds[1:], strict=False):
        assert f"{clip}: {stop - first} frames from frame {first}" in err


def test_frames_are_placed_by_their_stamps_only_when_at_least_half_carry_one():
    from longlive_dsl.review import stamp_chunks
    from longlive_dsl.sim.frames import Stamp

    def s(chunk: int) -> Stamp:
        return Stamp(chunk, 0, 0, 0)

    assert stamp_chunks([s(0), None, s(1), None, s(2)]) == [0, 0, 1, 1, 2]  # a lost stamp: the chunk before
    assert stamp_chunks([None, s(3), s(4), None]) == [0, 3, 4, 4]
    assert stamp_chunks([s(1), None, None, None, None]) is None  # too few to go by
    assert stamp_chunks([None]) is None and stamp_chunks([]) is None  # nothing readable at all
