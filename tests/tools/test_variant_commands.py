"""Commands that work on one program never pick a variant silently: FILE@variant names it."""

from __future__ import annotations

import json

import pytest

from longlive_dsl.cli import main

P = "slow dolly in at 35mm, warm amber light, soft mist over the water, photoreal, a copper and teal palette"
STORY = (f'scene "Opening" for 6\n  shot "A lighthouse keeper climbs the spiral stair at dusk, {P}"\n'
         f'variant "calm"\nscene "Calm"\n  shot "The sea lies flat and silver under a rising moon, {P}"\n'
         f'variant "storm"\nscene "Storm"\n  shot "Waves break over the rocks as lightning splits the sky, {P}"\n')


@pytest.fixture
def story(tmp_path):
    path = tmp_path / "v.llv"
    path.write_text(STORY, encoding="utf-8")
    return path


@pytest.mark.parametrize("command", [["export", "--to", "longlive-v1"], ["timeline", "-o", "PIC"]])
def test_a_file_with_several_variants_must_name_one(command, story, tmp_path, capsys):
    args = [a.replace("PIC", str(tmp_path / "p.svg")) for a in command]
    assert main([args[0], str(story), *args[1:]]) == 2
    assert "has 2 variants (calm, storm); name one as" in capsys.readouterr().err
    assert not (tmp_path / "p.svg").exists()


def test_export_of_a_named_variant_holds_that_variants_prompts(story, capsys):
    assert main(["export", f"{story}@storm", "--to", "longlive-v1"]) == 0
    prompts = json.loads(capsys.readouterr().out.splitlines()[0])["prompts"]
    assert any("lightning" in p for p in prompts) and not any("silver" in p for p in prompts)


def test_timeline_of_a_named_variant_draws_that_variant(story, tmp_path):
    out = tmp_path / "p.svg"
    assert main(["timeline", f"{story}@calm", "-o", str(out)]) == 0
    svg = out.read_text(encoding="utf-8")
    assert "Calm" in svg and "Storm" not in svg


def test_an_unknown_variant_is_refused_with_the_known_ones(story, tmp_path, capsys):
    assert main(["timeline", f"{story}@nope", "-o", str(tmp_path / "p.svg")]) == 2
    assert "no variant `nope`; its variants: calm, storm" in capsys.readouterr().err
