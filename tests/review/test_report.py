"""`llv report`: one self-contained page per take, checked as text and in headless Chromium."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest

from longlive_dsl import compile_file
from longlive_dsl.cli import main
from longlive_dsl.review.report import build_report, read_take
from longlive_dsl.runtime.trace import read_trace

from .cdp import Chromium
from .conftest import llv


def _report(take, tmp_path: Path, *extra: str) -> Path:
    out = tmp_path / "report.html"
    code = main(["report", str(take.trace), "--video", str(take.video), "-o", str(out), *extra])
    assert code == 0
    return out


def test_the_page_loads_nothing_from_elsewhere(take, tmp_path):
    page = _report(take, tmp_path).read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "url(http" not in page
    assert 'id="take-data"' in page  # the video travels inside the page


def test_the_verdict_is_the_one_llv_verify_gives(take, tmp_path):
    page = _report(take, tmp_path).read_text(encoding="utf-8")
    verified = subprocess.run(llv("verify", str(take.trace), str(take.storyboard)), capture_output=True, text=True)
    assert verified.returncode == 0
    last = verified.stdout.strip().splitlines()[-1]
    assert re.search(r'<div id="verdict" class="verdict ok">' + re.escape(last) + "</div>", page)


def test_a_take_off_plan_is_reported_failed(take, tmp_path):
    moved = tmp_path / "moved.llv"
    moved.write_text(take.storyboard.read_text(encoding="utf-8").replace("shot for 4", "shot for 5"), encoding="utf-8")
    out = tmp_path / "failed.html"
    assert main(["report", str(take.trace), str(moved), "--video", str(take.video), "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert '<div id="verdict" class="verdict bad">FAILED: 3 of 4 beats fired on their planned chunks</div>' in page
    assert "fired on chunk 14, planned for chunk 15" in page


def test_the_contact_sheet_has_one_frame_per_beat_from_the_chunk_it_fired_on(take, tmp_path):
    import base64

    import numpy as np
    from PIL import Image

    from longlive_dsl.sim.frames import read_stamp

    page = _report(take, tmp_path).read_text(encoding="utf-8")
    cards = re.findall(r'<div class="card[^"]*" data-seek="[^"]+" data-chunk="(\d+)"><img alt="[^"]*" '
                       r'src="data:image/jpeg;base64,([^"]+)">', page)
    assert [int(c) for c, _ in cards] == [0, 5, 10, 14]
    for chunk, data in cards:
        image = Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB")
        stamp = read_stamp(np.asarray(image))
        assert stamp is not None and stamp.session_chunk == int(chunk)


def test_live_beats_are_told_apart_from_planned_ones(take):
    program, _ = compile_file(str(take.storyboard))
    records = read_trace(take.trace)
    live = "A live prompt typed during the take: the chef looks up and smiles."
    start = next(i for i, r in enumerate(records) if r.get("kind") == "send"
                 and r["frame"].get("data", {}).get("type") == "start")
    t = records[start]["t"]
    edited = records[: start + 1] + [
        {"t": t + 0.001, "kind": "send", "channel": "data",
         "frame": {"scope": "application", "data": {"type": "set_shot", "data": {"prompt": live}}}},
        {"t": t + 0.004, "kind": "recv", "channel": "data",
         "frame": {"scope": "application", "type": "shot_set", "data": {"prompt": live}}},
    ] + records[start + 1 :]
    for r in edited:  # the model took it from chunk 17 on
        frame = r.get("frame") or {}
        if r.get("kind") == "recv" and frame.get("type") == "chunk_complete" and frame["data"]["session_chunk"] >= 17:
            frame["data"]["active_prompt"] = live
    take_ = read_take(edited, program)
    assert [(f.chunk, f.planned) for f in take_.fired] == [(0, True), (5, True), (10, True), (14, True), (17, False)]
    sent = next(s for s in take_.sent if s.prompt == live)
    assert sent.live and sent.latency_ms == pytest.approx(3.0, abs=0.01)
    page = build_report(program, edited)
    assert re.search(r'<g class="seek beat live" id="live-\d+" data-seek="[^"]+" data-chunk="17">', page)
    assert "sent live during the take" in page


def test_bad_inputs_are_refused_plainly(take, tmp_path, capsys):
    not_a_trace = tmp_path / "x.jsonl"
    not_a_trace.write_text("hello\n", encoding="utf-8")
    assert main(["report", str(not_a_trace), str(take.storyboard), "-o", str(tmp_path / "r.html")]) == 2
    assert "is not a trace" in capsys.readouterr().err
    assert main(["report", str(take.trace), "--video", str(tmp_path / "none.mp4"), "-o", str(tmp_path / "r.html")]) == 2
    assert "cannot read the video" in capsys.readouterr().err
    assert main(["report", str(take.trace), "-o", str(tmp_path / "r.pdf")]) == 2
    assert not list(tmp_path.glob("r.*"))


def _stamps(video: Path) -> list:
    import av

    from longlive_dsl.sim.frames import read_stamp

    with av.open(str(video)) as container:
        return [read_stamp(f.to_ndarray(format="rgb24")) for f in container.decode(video=0)]


def _open_report(browser: Chromium, page_path: Path):
    page = browser.open(page_path.as_uri())
    page.wait_until("document.getElementById('take').readyState >= 2")
    return page


@pytest.mark.parametrize("mode", ["embedded", "linked"])
def test_in_chromium_the_video_plays_and_clicking_a_beat_moves_the_playhead(take, tmp_path, chromium_or_skip, mode):
    from PIL import Image

    out = _report(take, tmp_path, *(["--link"] if mode == "linked" else []))
    stamps = _stamps(take.video)
    shot_at = next(i for i, s in enumerate(stamps) if s is not None and s.session_chunk >= 14) / 24
    cut_at = next(i for i, s in enumerate(stamps) if s is not None and s.session_chunk >= 5) / 24
    with Chromium(str(tmp_path / "profile")) as browser:
        page = _open_report(browser, out)
        duration = page.evaluate("document.getElementById('take').duration")
        assert duration == pytest.approx(len(stamps) / 24, abs=0.05)
        # it plays: time advances and the playhead follows
        page.evaluate("document.getElementById('take').play()")
        page.wait_until("document.getElementById('take').currentTime > 0.5")
        page.evaluate("document.getElementById('take').pause()")
        now = page.evaluate("document.getElementById('take').currentTime")
        head = page.evaluate("+document.getElementById('playhead').dataset.time")
        assert head == pytest.approx(now, abs=0.1)
        # a click on the planned soft shot (chunk 14) seeks there
        target = page.evaluate("+document.querySelector('.beat.planned[data-chunk=\"14\"]').dataset.seek")
        assert target == pytest.approx(shot_at, abs=1e-3)  # its first frame, by the stamps
        page.click_element('.beat.planned[data-chunk="14"]')
        page.wait_until(f"Math.abs(document.getElementById('take').currentTime - {target}) < 0.05 "
                        "&& !document.getElementById('take').seeking")
        assert page.evaluate("+document.getElementById('playhead').dataset.time") == pytest.approx(target, abs=1 / 24)
        x = page.evaluate("+document.getElementById('playhead').getAttribute('x1')")
        tick = page.evaluate("+document.querySelector('.beat.planned[data-chunk=\"14\"] line').getAttribute('x1')")
        assert x == pytest.approx(tick, abs=0.5)
        # a contact sheet card seeks too
        page.click_element('.card[data-chunk="5"]')
        page.wait_until(f"Math.abs(document.getElementById('take').currentTime - {cut_at}) < 0.05")
        png = page.screenshot()
        page.settle(0.2)
        assert page.errors == []
    shot = tmp_path / f"report-{mode}.png"
    shot.write_bytes(png)
    image = Image.open(shot).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 22)
    assert colours is not None and len(colours) > 50
    assert (0x1A, 0x7F, 0x37) in {c for _, c in colours}  # the green verdict banner is on screen


def test_without_a_video_the_chunk_times_come_from_the_models_frame_counts(take, tmp_path):
    out = tmp_path / "r.html"
    assert main(["report", str(take.trace), "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "chunk times from the model&#x27;s frame counts (chunk_complete)" in page
    assert page.count('<div class="none">no frame</div>') == 4  # a contact sheet needs the video
    assert re.search(r'<g class="seek beat planned" id="planned-3" data-seek="3\.5000" data-chunk="14">', page)


@pytest.mark.parametrize("kept", [0.1, 0.6])
def test_a_take_cut_short_is_still_reported_failed(take, tmp_path, kept):
    lines = take.trace.read_text(encoding="utf-8").splitlines(keepends=True)
    short = tmp_path / "short.jsonl"
    cut = lines[: int(len(lines) * kept)]
    short.write_text("".join(cut) + cut[-1][: len(cut[-1]) // 2], encoding="utf-8")  # and a torn last line
    out = tmp_path / "short.html"
    assert main(["report", str(short), str(take.storyboard), "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert '<div id="verdict" class="verdict bad">FAILED:' in page
    assert "not reached: the run stopped after" in page
