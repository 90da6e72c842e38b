"""`llv export --to longlive-v2 -o DIR`: the folder NVlabs/LongLive 2.0's inference reads.

The folder is read back here the way LongLive 2.0 documents its `MultiTextConcatDataset`
(utils/dataset.py and utils/DATASET_PROMPT_LOGIC.md, directory mode): the sample folders under
`caption/`, each a set of `N.json` files `{"caption": ...}` taken in numeric order (`global.json`
ignored), `shot_durations.txt` giving each shot's chunk count (comma- or space-separated, cut to
the number of captions), durations clamped to `num_blocks = num_output_frames // num_frame_per_block`
(the last shot takes up any shortfall), the scene-cut prefix on the first chunk of every shot but
the first, and the list cut or padded (with the last caption) to exactly `num_blocks`. The reader
is this test's own; the expectation comes from the compiled Program's beats, not from the export.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from language.storyboards import render, storyboards  # tests/ is on sys.path (rootdir packages)

from longlive_dsl import compile
from longlive_dsl.cli import main

ROOT = Path(__file__).resolve().parents[2]
RATATOUILLE = ROOT / "examples" / "ratatouille.llv"

LONGLIVE_SCENE_CUT_PREFIX = "The scene transitions. "  # utils/dataset.py DEFAULT_SCENE_CUT_PREFIX
LONGLIVE_NUM_FRAME_PER_BLOCK = 8  # configs/inference.yaml model_kwargs.num_frame_per_block
CONFIG = "inference_overrides.yaml"


# ---- LongLive 2.0's reading of the folder, as documented ----------------------------------------

def read_samples(data_path: Path, num_blocks: int, prefix: str) -> dict[str, list[str]]:
    """Every sample's per-block prompts, as MultiTextConcatDataset's directory mode builds them."""
    caption_dir = data_path / "caption" if (data_path / "caption").is_dir() else data_path
    samples = {}
    for folder in sorted(d for d in caption_dir.iterdir() if d.is_dir()):
        files = [f for f in folder.glob("*.json") if f.name != "global.json"]
        files.sort(key=lambda f: (f.stem.isdigit(), int(f.stem) if f.stem.isdigit() else 0, f.stem))
        captions = [json.loads(f.read_text(encoding="utf-8")).get("caption", "") for f in files] or [""]
        durations_file = folder / "shot_durations.txt"
        assert durations_file.exists(), "without shot_durations.txt LongLive spreads the shots evenly"
        durations = [int(x) for x in durations_file.read_text().replace(",", " ").split()][: len(captions)]
        clamped, remaining = [], num_blocks
        for d in durations:
            if remaining <= 0:
                break
            clamped.append(min(d, remaining))
            remaining -= clamped[-1]
        if remaining > 0 and clamped:
            clamped[-1] += remaining
        prompts = []
        for shot, (caption, n) in enumerate(zip(captions, clamped, strict=True)):
            prompts += [(prefix if shot and i == 0 and prefix else "") + caption for i in range(n)]
        prompts = prompts[:num_blocks] + [prompts[-1] if prompts else ""] * (num_blocks - len(prompts))
        samples[folder.name] = prompts
    return samples


def read_export(folder: Path) -> tuple[dict, dict[str, list[str]]]:
    """The settings file and the samples LongLive 2.0 would generate from an export folder."""
    config = yaml.safe_load((folder / CONFIG).read_text(encoding="utf-8"))
    data_path = Path(config["data"]["data_path"])
    assert data_path == folder.resolve()
    num_blocks = config["data"]["num_output_frames"] // LONGLIVE_NUM_FRAME_PER_BLOCK
    prefix = config["inference"]["scene_cut_prefix"]
    return config, read_samples(data_path, num_blocks, prefix)


def planned_prompts(program) -> list[str]:
    """The prompt of every chunk the plan plays; each beat after the opener starts with the cut prefix.

    That prefix on a soft shot's first chunk is the documented mapping: LongLive 2.0 has no prompt
    switch inside a shot, so each soft shot is its own shot entry and plays as a cut.
    """
    beats = sorted((b for s in program.scenes for b in s.beats), key=lambda b: b.chunk)
    prompts = []
    for chunk in range(program.stops_at):
        beat = [b for b in beats if b.chunk <= chunk][-1]
        first = chunk == beat.chunk and beat.kind != "opener"
        prompts.append((LONGLIVE_SCENE_CUT_PREFIX if first else "") + beat.prompt)
    return prompts


def _compile(path: Path):
    program, diags = compile(path.read_text(encoding="utf-8"), str(path))
    assert program is not None, diags
    return program


def _export(src: Path, out: Path) -> int:
    return main(["export", str(src), "--to", "longlive-v2", "-o", str(out)])


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# ---- what the folder holds ------------------------------------------------------------------------

def test_folder_holds_exactly_the_per_chunk_prompts_the_plan_implies(tmp_path):
    out = tmp_path / "rat"
    assert _export(RATATOUILLE, out) == 0
    _, samples = read_export(out)
    program = _compile(RATATOUILLE)
    assert list(samples) == ["ratatouille"]
    prompts = samples["ratatouille"]
    assert len(prompts) == 20  # `end at 20`
    assert prompts == planned_prompts(program)
    beats = {b.chunk: b for s in program.scenes for b in s.beats}
    assert prompts[0] == prompts[4] == beats[0].prompt
    assert prompts[5] == LONGLIVE_SCENE_CUT_PREFIX + beats[5].prompt and prompts[6] == beats[5].prompt
    assert prompts[14] == LONGLIVE_SCENE_CUT_PREFIX + beats[14].prompt  # the soft shot, played as a cut
    assert prompts[19] == beats[14].prompt


def test_folder_layout_is_captions_durations_and_settings(tmp_path):
    out = tmp_path / "rat"
    assert _export(RATATOUILLE, out) == 0
    assert _files(out) == [
        "caption", "caption/ratatouille", "caption/ratatouille/0.json", "caption/ratatouille/1.json",
        "caption/ratatouille/2.json", "caption/ratatouille/3.json", "caption/ratatouille/shot_durations.txt",
        CONFIG,
    ]
    assert (out / "caption/ratatouille/shot_durations.txt").read_text() == "5\n5\n4\n6\n"
    assert sorted(os.listdir(tmp_path)) == ["rat"]  # nothing left beside it


def test_settings_give_the_output_frames_and_the_seed(tmp_path):
    out = tmp_path / "rat"
    assert _export(RATATOUILLE, out) == 0
    config, _ = read_export(out)
    assert config == {
        "data": {"data_path": str(out.resolve()), "num_output_frames": 20 * 8},
        "inference": {"scene_cut_prefix": LONGLIVE_SCENE_CUT_PREFIX},
        "logging": {"seed": 11},
    }
    text = (out / CONFIG).read_text(encoding="utf-8")
    # 3 scenes on the measured clock: 29 + 4*32 twice, then 29 + 9*32 = 631 frames; LongLive decodes
    # its 160 latent frames in one pass, 1 + 159*4 = 637 frames.
    assert "measured clock 631 frames (26.29 s at 24 fps)" in text
    assert "160 latent frames in one pass: 637 frames" in text


def test_settings_leave_the_configs_seed_when_the_storyboard_sets_none(tmp_path):
    src = tmp_path / "noseed.llv"
    src.write_text('scene "A" for 6\n  shot "a fox trots through fresh snow at dawn"\n', encoding="utf-8")
    assert _export(src, tmp_path / "out") == 0
    config, samples = read_export(tmp_path / "out")
    assert config["logging"] is None and config["data"]["num_output_frames"] == 48
    assert samples == {"noseed": ["a fox trots through fresh snow at dawn"] * 6}


def test_a_negative_seed_is_written_as_its_unsigned_32_bits(tmp_path, capsys):
    src = tmp_path / "neg.llv"
    src.write_text('seed -1\nscene "A" for 2\n  shot "a fox in the snow"\n', encoding="utf-8")
    assert _export(src, tmp_path / "out") == 0
    assert read_export(tmp_path / "out")[0]["logging"]["seed"] == 2**32 - 1
    assert f"{src}:1:1: warning: seed -1 is written as 4294967295" in capsys.readouterr().err


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(storyboards())
def test_any_storyboard_exports_the_prompts_its_plan_implies(scenes):
    text = "\n".join(render(scenes)) + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "gen.llv"
        src.write_text(text, encoding="utf-8")
        program = _compile(src)
        assert _export(src, Path(tmp) / "out") == 0
        config, samples = read_export(Path(tmp) / "out")
        assert samples == {"gen": planned_prompts(program)}
        assert config["logging"]["seed"] == 7
        soft = sum(len(s.shots) - 1 for s in scenes)
        assert len(list((Path(tmp) / "out/caption/gen").glob("*.json"))) == len(scenes) + soft


# ---- what it says -------------------------------------------------------------------------------

def test_each_soft_shot_gets_a_located_warning_that_it_plays_as_a_cut(tmp_path, capsys):
    assert _export(RATATOUILLE, tmp_path / "rat") == 0
    err = capsys.readouterr().err
    assert f"{RATATOUILLE}:14:3: warning: this soft shot at chunk 14 is exported as its own shot" in err
    assert "NVlabs/LongLive#56" in err and "the model plays it as a cut" in err
    assert err.count("warning:") == 1
    assert "4 shots over 20 chunks (2 scene cuts, 1 soft shot)" in err


def test_a_prompt_that_begins_with_the_cut_prefix_is_warned_about(tmp_path, capsys):
    src = tmp_path / "odd.llv"
    src.write_text('scene "A"\n  shot "The scene transitions. A cat walks along a sunny wall."\n', encoding="utf-8")
    assert _export(src, tmp_path / "out") == 0
    assert f"{src}:2:3: warning: this opener's prompt begins with 'The scene transitions.'" in capsys.readouterr().err


# ---- where it writes ----------------------------------------------------------------------------

def test_without_a_folder_it_refuses(capsys):
    assert main(["export", str(RATATOUILLE), "--to", "longlive-v2"]) == 2
    assert "longlive-v2 writes a folder" in capsys.readouterr().err


def test_a_file_as_target_is_refused_and_left_alone(tmp_path, capsys):
    target = tmp_path / "story.jsonl"
    target.write_text("mine\n", encoding="utf-8")
    assert _export(RATATOUILLE, target) == 2
    assert f"{target} is not a folder" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "mine\n" and sorted(os.listdir(tmp_path)) == ["story.jsonl"]


def test_a_folder_holding_other_files_is_refused_and_left_alone(tmp_path, capsys):
    target = tmp_path / "work"
    target.mkdir()
    (target / "notes.txt").write_text("keep me\n", encoding="utf-8")
    assert _export(RATATOUILLE, target) == 2
    assert "already holds other files" in capsys.readouterr().err
    assert _files(target) == ["notes.txt"] and sorted(os.listdir(tmp_path)) == ["work"]


def test_a_symbolic_link_is_refused(tmp_path, capsys):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert _export(RATATOUILLE, tmp_path / "link") == 2
    assert "is a symbolic link" in capsys.readouterr().err
    assert os.listdir(tmp_path / "real") == []


def test_a_missing_parent_folder_is_refused(tmp_path, capsys):
    assert _export(RATATOUILLE, tmp_path / "no" / "such" / "out") == 2
    assert "does not exist" in capsys.readouterr().err and os.listdir(tmp_path) == []


def test_a_storyboard_with_errors_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.llv"
    bad.write_text('scene "A"\n  shot "x"\n  shot at 50 "y"\n', encoding="utf-8")
    assert _export(bad, tmp_path / "out") == 1
    assert "E505" in capsys.readouterr().err and sorted(os.listdir(tmp_path)) == ["bad.llv"]


def test_an_empty_folder_is_filled(tmp_path):
    (tmp_path / "out").mkdir()
    assert _export(RATATOUILLE, tmp_path / "out") == 0
    assert read_export(tmp_path / "out")[1]["ratatouille"]


def test_an_earlier_export_is_replaced_whole(tmp_path):
    out = tmp_path / "out"
    assert _export(RATATOUILLE, out) == 0
    src = tmp_path / "one.llv"
    src.write_text('scene "A" for 3\n  shot "a lighthouse in a storm at night"\n', encoding="utf-8")
    assert _export(src, out) == 0
    assert _files(out) == ["caption", "caption/one", "caption/one/0.json", "caption/one/shot_durations.txt", CONFIG]
    assert sorted(os.listdir(tmp_path)) == ["one.llv", "out"]


def test_a_failed_write_leaves_nothing_behind_and_the_earlier_export_intact(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    assert _export(RATATOUILLE, out) == 0
    before = {p: (out / p).read_bytes() for p in _files(out) if (out / p).is_file()}
    real_rename = os.rename

    def failing_rename(src, dst):  # the last step, moving the finished folder into place, fails
        if os.fspath(src).endswith(".tmp"):
            raise OSError(28, "No space left on device")
        return real_rename(src, dst)

    monkeypatch.setattr(os, "rename", failing_rename)
    src = tmp_path / "one.llv"
    src.write_text('scene "A" for 3\n  shot "a lighthouse in a storm at night"\n', encoding="utf-8")
    assert _export(src, out) == 2
    assert "No space left on device; nothing written" in capsys.readouterr().err
    assert {p: (out / p).read_bytes() for p in _files(out) if (out / p).is_file()} == before
    assert sorted(os.listdir(tmp_path)) == ["one.llv", "out"]

    assert _export(src, tmp_path / "fresh") == 2
    assert sorted(os.listdir(tmp_path)) == ["one.llv", "out"]


@pytest.mark.parametrize("name, sample", [("stories/Kitchen v2.llv", "Kitchen_v2"), ("-", "stdin")])
def test_the_sample_is_named_after_the_storyboard_file(tmp_path, monkeypatch, name, sample):
    text = 'scene "A" for 2\n  shot "a fox in the snow"\n'
    if name == "-":
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8"))
        src = "-"
    else:
        (tmp_path / "stories").mkdir()
        (tmp_path / name).write_text(text, encoding="utf-8")
        src = str(tmp_path / name)
    assert main(["export", src, "--to", "longlive-v2", "-o", str(tmp_path / "out")]) == 0
    assert list(read_export(tmp_path / "out")[1]) == [sample]
