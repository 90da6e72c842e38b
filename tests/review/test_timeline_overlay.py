"""`llv timeline FILE --trace TRACE`: what fired in a take, drawn over the planned picture."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from longlive_dsl.cli import main

SVG = "{http://www.w3.org/2000/svg}"


def _fired(svg_path) -> list[tuple[str, str]]:
    root = ET.parse(svg_path).getroot()
    return [(g.get("data-chunk"), g.get("class").split()[1]) for g in root.iter(f"{SVG}g")
            if "fired" in (g.get("class") or "").split()]


def test_every_beat_that_fired_is_drawn_on_plan(take, tmp_path):
    out = tmp_path / "t.svg"
    assert main(["timeline", str(take.storyboard), "--trace", str(take.trace), "-o", str(out)]) == 0
    assert _fired(out) == [("0", "on-plan"), ("5", "on-plan"), ("10", "on-plan"), ("14", "on-plan")]


def test_a_beat_that_fired_off_plan_is_drawn_so(take, tmp_path):
    moved = tmp_path / "moved.llv"
    moved.write_text(take.storyboard.read_text(encoding="utf-8").replace("shot for 4", "shot for 5"), encoding="utf-8")
    out = tmp_path / "t.svg"
    main(["timeline", str(moved), "--trace", str(take.trace), "-o", str(out)])
    assert _fired(out)[-1] == ("14", "off-plan")
    root = ET.parse(out).getroot()
    tip = next(g for g in root.iter(f"{SVG}g") if g.get("data-chunk") == "14" and "fired" in g.get("class")).find(
        f"{SVG}title").text
    assert tip.startswith("shot fired at chunk 14, off plan") and "Steam curls up" in tip


def test_the_html_page_carries_the_overlay_too(take, tmp_path):
    out = tmp_path / "t.html"
    assert main(["timeline", str(take.storyboard), "--trace", str(take.trace), "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.count('<g class="fired on-plan"') == 4 and "fired in the take" in page


def test_a_file_that_is_not_a_trace_is_refused(take, tmp_path, capsys):
    assert main(["timeline", str(take.storyboard), "--trace", str(take.storyboard), "-o", str(tmp_path / "t.svg")]) == 2
    assert "is not a trace" in capsys.readouterr().err
    assert not (tmp_path / "t.svg").exists()


def test_the_take_is_compared_with_the_variant_drawn(take, tmp_path):
    text = take.storyboard.read_text(encoding="utf-8")
    cut = text.index('scene "Pan"')
    opening, rest = text[:cut], text[cut:]
    branching = tmp_path / "branching.llv"  # the first variant moves the last shot; the second is the take's
    branching.write_text(f'{opening}variant "moved"\n{rest.replace("shot for 4", "shot for 5")}\n'
                         f'variant "played"\n{rest}', encoding="utf-8")
    out = tmp_path / "t.svg"
    assert main(["timeline", f"{branching}@played", "--trace", str(take.trace), "-o", str(out)]) == 0
    assert _fired(out) == [("0", "on-plan"), ("5", "on-plan"), ("10", "on-plan"), ("14", "on-plan")]
    main(["timeline", f"{branching}@moved", "--trace", str(take.trace), "-o", str(out)])
    assert _fired(out)[-1] == ("14", "off-plan")


def test_a_storyboard_with_errors_is_not_compared_with_the_take(take, tmp_path, capsys):
    broken = tmp_path / "broken.llv"  # a beat past its scene's end: an error, though the file still draws
    broken.write_text(take.storyboard.read_text(encoding="utf-8").replace("shot for 4", "shot at 3 for 4"),
                      encoding="utf-8")
    out = tmp_path / "t.svg"
    assert main(["timeline", str(broken), "--trace", str(take.trace), "-o", str(out)]) == 2
    assert "has errors, so the take cannot be compared with its plan" in capsys.readouterr().err
    assert not out.exists()
