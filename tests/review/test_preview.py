"""`llv preview`: the animatic, checked frame by frame through the stamps the simulator paints."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from longlive_dsl import compile, model
from longlive_dsl.cli import main
from longlive_dsl.review.animatic import render_preview

ROOT = Path(__file__).resolve().parents[2]

TWO_CUTS = '''title "Two cuts"
scene "A" for 3
  shot "A red kite over a grey sea, wide shot."
scene "B" for 4
  shot "A lighthouse at dusk, slow push in."
  shot at 5 "The lamp turns, gold light sweeping the fog."
scene "C"
  shot "Dawn over the harbour, boats leaving."
end at 10
'''


def _decode(path: Path) -> tuple[list, float, list[bool]]:
    import av

    from longlive_dsl.sim.frames import read_stamp

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
        seconds = float(frames[-1].time - frames[0].time) + 1 / float(stream.average_rate)
        return [read_stamp(f.to_ndarray(format="rgb24")) for f in frames], seconds, [f.key_frame for f in frames]


def _program(text: str = TWO_CUTS):
    program, diags = compile(text, "two-cuts.llv")
    assert program is not None, diags
    return program


def _planned(program, clock: model.Clock) -> list[tuple[int, int, int, int]]:
    """(session chunk, chunk in scene, scene number, frame in chunk) of every frame the plan implies."""
    starts = [s.start for s in program.scenes]
    frames = []
    for chunk in range(program.end):
        scene = max(i for i, s in enumerate(starts) if s <= chunk)
        in_scene = chunk - starts[scene]
        frames += [(chunk, in_scene, scene, f) for f in range(clock.chunk_frames(in_scene))]
    return frames


@pytest.mark.parametrize("clock", list(model.CLOCKS.values()), ids=list(model.CLOCKS))
def test_the_stamps_read_back_match_the_plan_chunk_by_chunk(tmp_path, clock):
    program = _program()
    done = render_preview(program, tmp_path / "p.mp4", size=(320, 176), clock=clock)
    stamps, seconds, _ = _decode(tmp_path / "p.mp4")
    assert None not in stamps
    got = [(s.session_chunk, s.chunk_in_scene, s.scene_number, s.frame_in_chunk) for s in stamps]
    assert got == _planned(program, clock)
    assert done.chunks == 10 and done.frames_written == len(stamps)
    assert seconds == pytest.approx(clock.session_frames([0, 3, 7], 10) / model.FPS, abs=1e-6)
    assert done.fired == [(model.CUT, 3), (model.SHOT, 5), (model.CUT, 7)]


def test_the_measured_clock_makes_a_scenes_first_chunk_29_frames_and_later_ones_32(tmp_path):
    render_preview(_program(), tmp_path / "p.mp4", size=(320, 176), clock=model.MEASURED_CLOCK)
    per_chunk = Counter(s.session_chunk for s in _decode(tmp_path / "p.mp4")[0])
    assert [per_chunk[c] for c in range(10)] == [29, 32, 32, 29, 32, 32, 32, 29, 32, 32]


def test_a_frame_step_draws_every_nth_frame_and_keeps_the_length(tmp_path):
    program = _program()
    render_preview(program, tmp_path / "all.mp4", size=(320, 176), clock=model.DOCS_CLOCK)
    render_preview(program, tmp_path / "third.mp4", size=(320, 176), step=3, clock=model.DOCS_CLOCK)
    every, seconds, _ = _decode(tmp_path / "all.mp4")
    third, seconds_3, _ = _decode(tmp_path / "third.mp4")
    assert third == every[::3]
    assert seconds_3 == pytest.approx(seconds, abs=3 / model.FPS)


def test_each_beat_opens_on_a_key_frame(tmp_path):
    render_preview(_program(), tmp_path / "p.mp4", size=(320, 176), clock=model.DOCS_CLOCK)
    stamps, _, keys = _decode(tmp_path / "p.mp4")
    for chunk in (0, 3, 5, 7):
        first = next(i for i, s in enumerate(stamps) if s.session_chunk == chunk)
        assert keys[first], f"chunk {chunk}"


def test_the_preview_command_writes_the_animatic_at_the_size_asked(tmp_path, capsys):
    out = tmp_path / "preview.mp4"
    assert main(["preview", str(ROOT / "examples" / "ratatouille.llv"), "-o", str(out), "--size", "480x272",
                 "--clock", "docs"]) == 0
    err = capsys.readouterr().err
    assert f"wrote {out}: 20 chunks, 24.2 s of video on the docs clock, 580 frames at 480x272" in err
    import av

    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.name, stream.width, stream.height) == ("h264", 480, 272)
    assert [s.scene_number for s in _decode(out)[0][::29]] == [0] * 5 + [1] * 5 + [2] * 10


def test_open_hands_the_animatic_to_the_desktop_viewer(tmp_path, monkeypatch):
    opened = tmp_path / "opened.txt"
    viewer = tmp_path / "bin" / "xdg-open"
    viewer.parent.mkdir()
    viewer.write_text(f'#!/bin/sh\necho "$1" > {opened}\n', encoding="utf-8")
    viewer.chmod(viewer.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{viewer.parent}{os.pathsep}{os.environ['PATH']}")
    out = tmp_path / "p.mp4"
    assert main(["preview", str(ROOT / "examples" / "ratatouille.llv"), "-o", str(out), "--step", "4", "--open"]) == 0
    import time

    deadline = time.monotonic() + 10
    while not opened.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert opened.read_text(encoding="utf-8").strip() == str(out)


def test_open_without_a_viewer_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["preview", str(ROOT / "examples" / "ratatouille.llv"), "-o", str(tmp_path / "p.mp4"),
                 "--step", "4", "--open"]) == 0
    assert "no video viewer found" in capsys.readouterr().err


def test_bad_input_is_refused_and_nothing_half_written_is_left(tmp_path, capsys):
    bad = tmp_path / "bad.llv"
    bad.write_text('scene "A"\n  shot for "x"\n', encoding="utf-8")
    assert main(["preview", str(bad), "-o", str(tmp_path / "p.mp4")]) == 1
    assert main(["preview", str(ROOT / "examples" / "ratatouille.llv"), "-o", str(tmp_path / "no" / "p.mp4")]) == 2
    assert "there is no folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["preview", str(ROOT / "examples" / "ratatouille.llv"), "-o", str(tmp_path / "p.mp4"), "--size", "641x352"])
    assert exit_.value.code == 2
    with pytest.raises(SystemExit):
        main(["preview", str(ROOT / "examples" / "ratatouille.llv"), "-o", str(tmp_path / "p.mp4"), "--step", "0"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.llv"]


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 130), (signal.SIGHUP, 129), (signal.SIGINT, 130)])
def test_a_preview_stopped_by_a_signal_leaves_no_file_behind(tmp_path, sig, code):
    """SIGTERM and a closed terminal (SIGHUP) end a command as Ctrl-C does: its temporary file goes."""
    story = tmp_path / "long.llv"
    story.write_text("".join(f'scene "S{i}" for 48\n  shot "Scene {i}: boats leave the harbour at dawn, wide shot, '
                             f'soft light."\n' for i in range(20)), encoding="utf-8")  # 960 chunks: minutes of work
    proc = subprocess.Popen([sys.executable, "-m", "longlive_dsl.cli", "preview", str(story), "-o",
                             str(tmp_path / "long.mp4")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(tmp_path.glob(".long.mp4.*")):
        time.sleep(0.02)
    assert list(tmp_path.glob(".long.mp4.*")), "the preview never started writing"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert b"Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.llv"]


@st.composite
def _storyboards(draw) -> str:
    """Small storyboards: 1 to 4 scenes of 1 to 4 chunks, some with a soft shot inside, and an end."""
    lines, start = ['title "Drawn"'], 0
    for i in range(draw(st.integers(1, 4))):
        length = draw(st.integers(1, 4))
        lines.append(f'scene "S{i}" for {length}')
        lines.append(f'  shot "Scene {i}: a harbour at dawn, gulls over the water, a slow pan right, soft light."')
        if length > 1 and draw(st.booleans()):
            at = start + draw(st.integers(1, length - 1))
            lines.append(f'  shot at {at} "Scene {i}, later: the pan settles on a red fishing boat, same light."')
        start += length
    lines.append(f"end at {start}")
    return "\n".join(lines) + "\n"


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_storyboards(), clock=st.sampled_from(list(model.CLOCKS.values())))
def test_any_storyboard_previews_to_the_frames_its_plan_implies(tmp_path, text, clock):
    program = _program(text)
    render_preview(program, tmp_path / "p.mp4", size=(320, 176), clock=clock)
    stamps = _decode(tmp_path / "p.mp4")[0]
    assert [(s.session_chunk, s.chunk_in_scene, s.scene_number, s.frame_in_chunk) for s in stamps] == \
        _planned(program, clock)
