"""`llv import` (web-app JSON -> .llv), `llv export` (LongLive v1/v2) and `llv schema`."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from longlive_dsl import check, compile
from longlive_dsl.cli import main
from longlive_dsl.model import DOCS_CLOCK, MEASURED_CLOCK
from longlive_dsl.tools.interchange import (
    StoryboardImportError,
    chunk_to_v1_latent,
    export_longlive_v1,
    export_longlive_v2,
    import_web_storyboard,
    parse_web_storyboard,
    program_schema,
    scene_name,
    title_from_path,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.llv"))

LONG = ("A chef chops eggplant and peppers on a worn wooden board, warm amber light, 35mm lens, "
        "shallow depth of field, photoreal, copper-and-olive palette.")
WEB = [
    {"kind": "shot", "prompt": LONG, "atChunk": 0},
    {"kind": "shot", "prompt": 'Close on the knife: {blade} "flash"   back\\slash', "atChunk": 4},
    {"kind": "cut", "prompt": "The skillet: diced vegetables sizzle over a blue gas flame.", "atChunk": 10},
]


def _expected(web: list[dict]) -> list[tuple[str, int, str]]:
    """What the web app would have sent: the opener, then each beat's kind, chunk and folded prompt."""
    return [("opener" if i == 0 else b["kind"], b["atChunk"], " ".join(b["prompt"].split())) for i, b in enumerate(web)]


def _beats_of(llv: str) -> list[tuple[str, int, str]]:
    tl, diags = check(llv, "imported.llv")
    assert tl is not None, diags
    assert not [d for d in diags if d.code < "E5"], diags  # syntax, names, values: all clean
    return [(b.kind, b.start, b.prompt) for b in tl.beats]


# ---- import ----------------------------------------------------------------------------------

def test_import_reads_well_and_round_trips():
    llv = import_web_storyboard(json.dumps(WEB, indent=2), "boards/my_kitchen-story.json")
    assert llv == (
        "# Imported from my_kitchen-story.json by `llv import`.\n"
        'title "My kitchen story"\n'
        "\n"
        'scene "Chef chops eggplant"\n'
        '  shot """\n'
        "      A chef chops eggplant and peppers on a worn wooden board, warm amber light, 35mm lens,\n"
        "      shallow depth of field, photoreal, copper-and-olive palette.\n"
        '  """\n'
        '  shot at 4 "Close on the knife: {{blade}} \\"flash\\" back\\\\slash"\n'
        "\n"
        'scene "Skillet" at 10\n'
        '  shot "The skillet: diced vegetables sizzle over a blue gas flame."\n'
    )
    program, diags = compile(llv, "imported.llv")
    assert program is not None, diags
    planned = [(b.kind, b.chunk, b.prompt) for s in program.scenes for b in s.beats]
    assert planned == _expected(WEB)
    assert program.title == "My kitchen story"


def test_scene_names_and_titles():
    assert scene_name("A chef's knife flashes over the board") == "Chef's knife flashes"
    assert scene_name("the") == "The"
    assert scene_name("A quiet harbour at dawn, boats rocking") == "Quiet harbour"
    assert scene_name("...!!!") == ""
    assert title_from_path("x/storm_at-sea.v2.JSON") == "Storm at sea v2"


def test_duplicate_scene_names_are_numbered():
    web = [{"kind": "shot", "prompt": "Rain on the window, night.", "atChunk": 0},
           {"kind": "cut", "prompt": "Rain on the window, dawn.", "atChunk": 5}]
    llv = import_web_storyboard(json.dumps(web))
    assert 'scene "Rain"' in llv and 'scene "Rain 2" at 5' in llv
    assert not [d for d in check(llv)[1] if d.code == "W604"]


def _problems(text: str) -> list:
    with pytest.raises(StoryboardImportError) as e:
        parse_web_storyboard(text, "bad.json")
    return e.value.problems


def test_import_errors_are_located():
    assert "must be a JSON list" in _problems('{"kind": "shot"}')[0].message

    [p] = _problems('[\n  {"kind": "shot", "prompt": "a", "atChunk": 0},\n  {"kind": "pan", "prompt": "b", "atChunk": 3}\n]')
    assert (p.path, p.line, p.column) == ("[1].kind", 3, 12)
    assert 'unknown kind "pan"' in p.message
    assert str(p).startswith("bad.json:3:12: error: [1].kind:")

    [p] = _problems('[{"kind": "shot", "atChunk": 0}]')
    assert p.path == "[0]" and "missing `prompt`" in p.message and (p.line, p.column) == (1, 2)

    [p] = _problems('[{"kind": "shot", "prompt": "a", "atChunk": 0},\n {"kind": "shot", "prompt": "b", "atChunk": -2}]')
    assert p.path == "[1].atChunk" and "negative" in p.message and p.line == 2

    [p] = _problems('[{"kind": "shot", "prompt": "a", "atChunk": 0}, {"kind": "cut", "prompt": "b", "atChunk": 7},'
                    ' {"kind": "shot", "prompt": "c", "atChunk": 5}]')
    assert p.path == "[2].atChunk" and "increasing chunk order" in p.message

    [p] = _problems('[{"kind": "shot", "prompt": "a", "atChunk": 0}, {"kind": "shot", "prompt": "b", "atChunk": 0}]')
    assert "same chunk" in p.message

    [p] = _problems('[{"kind": "shot", "prompt": "a", "atChunk": 3}]')
    assert "opener" in p.message

    [p] = _problems('[{"kind": "shot", "prompt": "   ", "atChunk": 0}]')
    assert "empty" in p.message and p.path == "[0].prompt"

    [p] = _problems('[{"kind": "shot", "prompt": "a", "atChunk": "soon"}]')
    assert "whole number" in p.message

    [p] = _problems("[]")
    assert "empty" in p.message

    [p] = _problems('[{"kind": "shot",\n "prompt": "a" "atChunk": 0}]')
    assert p.line == 2 and "not valid JSON" in p.message

    problems = _problems('[{"kind": "x", "atChunk": -1}]')
    assert len(problems) == 3  # every problem at once


def test_import_cli(tmp_path, capsys):
    src = tmp_path / "night_market.json"
    src.write_text(json.dumps(WEB), encoding="utf-8")
    out = tmp_path / "night.llv"
    assert main(["import", str(src), "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Imported from night_market.json") and 'title "Night market"' in text
    assert main(["import", str(src), "--title", "Other"]) == 0
    assert 'title "Other"' in capsys.readouterr().out

    bad = tmp_path / "bad.json"
    bad.write_text('[{"kind": "dolly", "prompt": "x", "atChunk": 0}]', encoding="utf-8")
    assert main(["import", str(bad), "-o", str(tmp_path / "bad.llv")]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:1:11: error: [0].kind:" in err and "nothing written" in err
    assert not (tmp_path / "bad.llv").exists()

    # A storyboard the web app accepted but the model would not play: imported, and told.
    late = tmp_path / "late.json"
    late.write_text(json.dumps([{"kind": "shot", "prompt": LONG, "atChunk": 0},
                                {"kind": "shot", "prompt": LONG, "atChunk": 50}]), encoding="utf-8")
    assert main(["import", str(late), "-o", str(tmp_path / "late.llv")]) == 1
    assert "E505" in capsys.readouterr().err


# ---- generated web storyboards ---------------------------------------------------------------

_WORDS = st.sampled_from(["a", "the", "chef", "{look}", "}}", "{", '"', '""""', "\\", "\\n", "#", "café", "  ",
                          "\n", "\t", "35mm-lens", "x" * 90, "über", "🎬", "at", "for", "scene", "shot", "'"])
_PROMPTS = st.one_of(
    st.lists(_WORDS, min_size=1, max_size=40).map(" ".join),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=200),
).filter(lambda p: p.split())


@st.composite
def web_storyboards(draw, valid: bool = False):
    """A web-app storyboard; with valid=True, one the model plays whole (every beat within its scene's budget)."""
    beats = [{"kind": draw(st.sampled_from(["shot", "cut"])), "prompt": draw(_PROMPTS), "atChunk": 0}]
    scene_start = chunk = 0
    for _ in range(draw(st.integers(0, 10))):
        kind = draw(st.sampled_from(["shot", "cut"]))
        if valid:
            room = scene_start + 47 - chunk  # soft shots must start before the scene completes
            if kind == "shot" and room < 1:
                kind = "cut"
            limit = scene_start + 48 - chunk if kind == "cut" else room
            chunk += draw(st.integers(1, limit))
            if kind == "cut":
                scene_start = chunk
        else:
            chunk += draw(st.integers(1, 80))
        beats.append({"kind": kind, "prompt": draw(_PROMPTS), "atChunk": chunk})
    return beats


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(web_storyboards())
def test_import_round_trips_any_storyboard(web):
    llv = import_web_storyboard(json.dumps(web), "gen.json")
    assert _beats_of(llv) == _expected(web)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(web_storyboards(valid=True))
def test_valid_storyboards_compile_and_export(web):
    program, diags = compile(import_web_storyboard(json.dumps(web)), "gen.llv")
    assert program is not None, [str(d) for d in diags if d.is_error]
    assert [(b.kind, b.chunk, b.prompt) for s in program.scenes for b in s.beats] == _expected(web)
    v2 = export_longlive_v2(program)
    assert v2.chunks == program.stops_at
    assert [(s.beat.kind, s.beat.chunk) for s in v2.shots] == [(e[0], e[1]) for e in _expected(web)]
    v1 = export_longlive_v1(program)
    assert len(v1.switch_frame_indices) == len(v1.prompts) - 1
    assert v1.switch_frame_indices == sorted(set(v1.switch_frame_indices))


# ---- export: LongLive 1.0 (LongLive 2.0 has its own file, test_export_longlive2.py) -----------

def _program(name: str = "ratatouille.llv"):
    path = ROOT / "examples" / name
    program, diags = compile(path.read_text(encoding="utf-8"), str(path))
    assert program is not None, diags
    return program


def test_export_v1_shape():
    program = _program()
    v1 = export_longlive_v1(program)
    beats = [b for s in program.scenes for b in s.beats]
    assert v1.prompts == [b.prompt for b in beats]
    line = v1.jsonl()
    assert line.endswith("\n") and line.count("\n") == 1
    assert json.loads(line) == {"prompts": v1.prompts}


def test_export_v1_switches_keep_the_time_of_each_beat_on_the_chunk_clock():
    # ratatouille: scenes open at chunks 0, 5 and 10, a soft shot at 14, `end at 20`. On the measured
    # clock chunk 5 starts after 29 + 4*32 = 157 frames (6.54 s = 26.2 latent frames -> 27); chunk 10
    # after 314 (52.3 -> 53 -> block 54); chunk 14 after 314 + 29 + 3*32 = 439 (73.2 -> 74 -> 75);
    # the run stops after 314 + 29 + 9*32 = 631 frames (105.2 -> 106 -> 108).
    v1 = export_longlive_v1(_program())
    assert v1.switch_frame_indices == [27, 54, 75]
    assert v1.num_output_frames == 108
    starts = (0, 5, 10)
    assert [chunk_to_v1_latent(c, MEASURED_CLOCK, starts) for c in (0, 5, 10, 14, 20)] == [0, 27, 54, 75, 108]
    # On the docs clock (29 frames a chunk) chunk 5 is 6.04 s: 24.2 latent frames -> 25 -> block 27.
    assert [chunk_to_v1_latent(c, DOCS_CLOCK, starts) for c in (5, 10, 14)] == [27, 51, 69]
    config = v1.config("ratatouille.jsonl")
    assert "switch_frame_indices: 27, 54, 75\n" in config
    assert 'data_path: "ratatouille.jsonl"\n' in config and "num_output_frames: 108\n" in config


def test_export_v1_keeps_the_storyboards_seed():
    assert "\nseed: 11\n" in export_longlive_v1(_program()).config()
    program, _ = compile('seed 4242\nscene "A"\n  shot "a fox in the snow"\n', "s.llv")
    assert yaml.safe_load(export_longlive_v1(program).config("s.jsonl"))["seed"] == 4242


def test_export_v1_without_a_seed_leaves_the_configs_own():
    program, _ = compile('scene "A"\n  shot "a fox in the snow"\n', "s.llv")
    config = yaml.safe_load(export_longlive_v1(program).config("s.jsonl"))
    assert "seed" not in config


def test_export_v1_writes_a_negative_seed_as_its_unsigned_32_bits(tmp_path, capsys):
    src = tmp_path / "neg.llv"
    src.write_text('seed -5\nscene "A"\n  shot "a fox in the snow"\n', encoding="utf-8")
    assert main(["export", str(src), "--to", "longlive-v1", "-o", str(tmp_path / "neg.jsonl")]) == 0
    assert yaml.safe_load((tmp_path / "neg.yaml").read_text(encoding="utf-8"))["seed"] == 2**32 - 5
    assert f"{src}:1:1: warning: seed -5 is written as 4294967291" in capsys.readouterr().err


def test_export_v1_cli(tmp_path, capsys):
    src = str(ROOT / "examples" / "ratatouille.llv")
    out = tmp_path / "rat.jsonl"
    assert main(["export", src, "--to", "longlive-v1", "-o", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["prompts"]
    config = yaml.safe_load((tmp_path / "rat.yaml").read_text(encoding="utf-8"))
    assert config == {"data_path": "rat.jsonl", "num_output_frames": 108, "num_frame_per_block": 3,
                      "switch_frame_indices": "27, 54, 75", "seed": 11}
    assert "2 cuts are exported as plain prompt switches" in capsys.readouterr().err

    bad = tmp_path / "bad.llv"
    bad.write_text('scene "A"\n  shot "x"\n  shot at 50 "y"\n', encoding="utf-8")
    assert main(["export", str(bad), "--to", "longlive-v1", "-o", str(tmp_path / "b.jsonl")]) == 1
    assert "E505" in capsys.readouterr().err and not (tmp_path / "b.jsonl").exists()


# ---- schema ----------------------------------------------------------------------------------

def test_program_schema_validates_every_example(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema == json.loads(json.dumps(program_schema()))
    validator = jsonschema.Draft202012Validator(schema)
    validator.check_schema(schema)
    assert EXAMPLES
    for path in EXAMPLES:
        program, _ = compile(path.read_text(encoding="utf-8"), str(path))
        assert program is not None
        validator.validate(json.loads(program.model_dump_json()))
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({"format": "llv-program/1", "commands": [{"type": "warp", "data": {}}]})
