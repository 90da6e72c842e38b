"""`llv timeline`: the plan as an SVG/HTML picture, checked as XML and rendered in headless Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from longlive_dsl import check
from longlive_dsl.cli import main
from longlive_dsl.tools.timeline_view import render_html, render_svg

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"

FAULTY = '''title "Faulty take"
scene "Long take"
  shot "A lighthouse keeper climbs the spiral stairs at dusk, lantern swinging, a slow crane up the tower, teal and amber palette."
  shot at 20 "The lamp room: brass gears turning, the great lens catching the last light, a slow orbit around the keeper."
  shot at 50 "This <never> fires & nobody says so."
end at 52
'''


def _svg(source: str, file: str = "t.llv") -> ET.Element:
    tl, diags = check(source, file)
    assert tl is not None
    return ET.fromstring(render_svg(tl, diags))


def _titles(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}title")]


def test_svg_shows_scenes_beats_end_and_prompts():
    source = (ROOT / "examples" / "ratatouille.llv").read_text(encoding="utf-8")
    root = _svg(source)
    text = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "Ratatouille service" in text
    assert "1. Chop" in text and "3. Plate" in text
    assert "end at 20" in text
    assert "0:26.3" in text  # seconds on the ruler, on the measured clock (631 frames by chunk 20)
    titles = _titles(root)
    beats = [t.text for g in root.iter(f"{SVG}g") if "beat" in (g.get("class") or "").split()
             for t in [g.find(f"{SVG}title")]]
    assert len(beats) == 4
    assert any(t.startswith("shot at chunk 14 (0:18.3)") and "Steam curls up" in t for t in beats)
    assert any("uses 5 of its 48-chunk budget" in t for t in titles)
    # self-contained: nothing fetched from anywhere
    flat = ET.tostring(root, encoding="unicode")
    assert "http" not in flat.replace("http://www.w3.org/2000/svg", "")


def test_problems_are_drawn_in_place():
    root = _svg(FAULTY)
    groups = [g for g in root.iter(f"{SVG}g") if "never" in (g.get("class") or "")]
    assert len(groups) == 1
    tip = groups[0].find(f"{SVG}title").text
    assert "NEVER FIRES" in tip and "This <never> fires & nobody says so." in tip and "E505" in tip
    red = [e for e in groups[0] if e.get("stroke") == "#d62728"]
    assert red


def test_html_page(tmp_path):
    tl, diags = check(FAULTY, "faulty.llv")
    page = render_html(tl, diags)
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    assert "This &lt;never&gt; fires &amp; nobody says so." in page
    assert "E505" in page and "(never fires)" in page
    assert "<script" not in page and "src=" not in page


def test_timeline_cli(tmp_path, capsys):
    src = tmp_path / "faulty.llv"
    src.write_text(FAULTY, encoding="utf-8")
    assert main(["timeline", str(src), "-o", str(tmp_path / "t.svg")]) == 1  # drawn, with errors
    ET.parse(tmp_path / "t.svg")
    assert main(["timeline", str(ROOT / "examples" / "long-journey.llv"), "-o", str(tmp_path / "t.html")]) == 0
    assert (tmp_path / "t.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert main(["timeline", str(src), "-o", str(tmp_path / "t.png")]) == 2
    bad = tmp_path / "bad.llv"
    bad.write_text('scene "A"\n  shot for "x"\n', encoding="utf-8")
    assert main(["timeline", str(bad), "-o", str(tmp_path / "bad.svg")]) == 1
    assert not (tmp_path / "bad.svg").exists()


def _chromium() -> str | None:
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.mark.parametrize("ext", ["svg", "html"])
def test_renders_in_headless_chromium(tmp_path, ext):
    from PIL import Image
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (`make test` installs it)")
        pytest.fail("chromium is not installed")
    picture = tmp_path / f"timeline.{ext}"
    src = tmp_path / "faulty.llv"
    src.write_text(FAULTY, encoding="utf-8")
    assert main(["timeline", str(src), "-o", str(picture)]) == 1
    png = tmp_path / "shot.png"
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={png}", "--window-size=1200,400",
         picture.as_uri()],
        check=True, capture_output=True, timeout=60,
    )
    image = Image.open(png).convert("RGB")
    assert image.size == (1200, 400)
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 20  # not blank: bands, ticks, text
    white = sum(n for n, c in colours if c == (255, 255, 255))
    assert white < 0.97 * image.size[0] * image.size[1]
    # the scene colours and the problem red are really on screen
    seen = {c for _, c in colours}
    assert (0x4E, 0x79, 0xA7) in seen  # the first scene's band
    assert any(r > 200 and g < 70 and b < 70 for r, g, b in seen)  # red: the beat that never fires
