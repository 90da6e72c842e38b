"""Golden snapshots (as python-hcl2 and ruff keep them): every example's compiled program, and every
diagnostic code's rendering in each `llv lint --format`. A change to any of them shows as a diff here.

After an intended change, rewrite the snapshots and review them with git:

    LLV_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/golden -q
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path

import pytest

from longlive_dsl import analyse, compile
from longlive_dsl.cli import main
from longlive_dsl.codes import CODES
from longlive_dsl.config import apply
from longlive_dsl.tools.formats import tool_version

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.llv"))
DIAGNOSTICS = HERE / "diagnostics"
PROGRAMS = HERE / "programs"
UPDATE = os.environ.get("LLV_UPDATE_GOLDEN") == "1"
FORMATS = {"text": ".text", "json": ".json", "sarif": ".sarif.json", "github": ".github"}


def assert_golden(path: Path, actual: str) -> None:
    """`actual` must equal the snapshot at `path` (written instead when LLV_UPDATE_GOLDEN=1)."""
    if UPDATE:
        path.write_text(actual, encoding="utf-8", newline="\n")
        return
    assert path.exists(), f"no snapshot {path.relative_to(ROOT)}; write it with LLV_UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(keepends=True), actual.splitlines(keepends=True),
                                            fromfile=f"{path.name} (snapshot)", tofile=f"{path.name} (now)"))
        pytest.fail(f"{path.relative_to(ROOT)} changed (LLV_UPDATE_GOLDEN=1 rewrites it):\n{diff}", pytrace=False)


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_compiles_to_its_snapshot(example):
    name = f"examples/{example.name}"
    program, diagnostics = compile(example.read_text(encoding="utf-8"), name)
    assert program is not None, [d.message for d in diagnostics if d.is_error]
    assert_golden(PROGRAMS / f"{example.stem}.program.json", program.model_dump_json(indent=2) + "\n")
    assert_golden(PROGRAMS / f"{example.stem}.wire", "\n".join(program.wire_lines()) + "\n")


@pytest.mark.parametrize("code", list(CODES))
def test_every_code_has_a_storyboard_that_reports_it(code, monkeypatch):
    monkeypatch.chdir(DIAGNOSTICS)  # includes are read relative to the storyboard, named as `llv lint` names it
    source = DIAGNOSTICS / f"{code}.llv"
    assert source.exists(), f"add {source.relative_to(ROOT)}: a small storyboard that reports {code}"
    text = source.read_text(encoding="utf-8")
    # As `llv lint` reports it: the analysis, then the suppression comments (which W608 is about).
    codes = [d.code for d in apply(analyse(text, source.name).diagnostics, text, source.name)]
    assert code in codes


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("code", list(CODES))
def test_every_code_renders_as_its_snapshot(code, fmt, monkeypatch, capsys):
    monkeypatch.chdir(DIAGNOSTICS)  # file names in the output stay relative: `E101.llv`
    monkeypatch.setenv("NO_COLOR", "1")
    status = main(["lint", "--format", fmt, f"{code}.llv"])
    out = capsys.readouterr().out
    assert f"{code}" in out
    assert status == (1 if CODES[code].severity == "error" else 0), "an error fails `llv lint`; nothing else does"
    if fmt == "sarif":  # the rules table is the same in every log: kept once, in sarif-driver.json
        log = json.loads(out)
        driver = log["runs"][0]["tool"]["driver"]
        driver.pop("rules")
        assert driver.pop("version") == tool_version()  # the snapshot does not change with each release
        out = json.dumps(log, indent=2, ensure_ascii=False) + "\n"
    assert_golden(DIAGNOSTICS / f"{code}{FORMATS[fmt]}", out)


def test_the_sarif_driver_and_its_rules_table_render_as_the_snapshot(monkeypatch, capsys):
    monkeypatch.chdir(DIAGNOSTICS)
    main(["lint", "--format", "sarif", "E101.llv"])
    driver = json.loads(capsys.readouterr().out)["runs"][0]["tool"]["driver"]
    assert [rule["id"] for rule in driver["rules"]] == list(CODES)
    assert driver.pop("version") == tool_version()
    assert_golden(HERE / "sarif-driver.json", json.dumps(driver, indent=2, ensure_ascii=False) + "\n")


def test_no_snapshot_is_left_without_its_source():
    expected = {f"{code}{ext}" for code in CODES for ext in (".llv", *FORMATS.values())}
    orphans = {p.name for p in DIAGNOSTICS.iterdir() if p.is_file()} - expected
    expected_programs = {f"{e.stem}{ext}" for e in EXAMPLES for ext in (".program.json", ".wire")}
    orphans |= {p.name for p in PROGRAMS.iterdir() if p.is_file()} - expected_programs
    assert not orphans, f"snapshots with no code or example: {sorted(orphans)}"
