"""The language server's related information, code actions and configuration, driven by a real client."""

from __future__ import annotations

import asyncio

import pygls  # noqa: E402, F401
from lsprotocol import types  # noqa: E402

from .test_lsp import TIMEOUT, Session, run_session  # noqa: E402

P = ('"A red fox trots across a frosted meadow at sunrise, breath steaming, '
     'a low tracking shot at 50mm with golden backlight and soft mist"')


async def code_actions(s: Session, uri: str, line: int) -> list[types.CodeAction]:
    found = await asyncio.wait_for(s.client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(start=types.Position(line=line, character=0), end=types.Position(line=line, character=200)),
        context=types.CodeActionContext(diagnostics=[]))), TIMEOUT)
    return found or []


def apply(text: str, edits: list[types.TextEdit]) -> str:
    lines = text.split("\n")
    offsets = [0]
    for line in lines[:-1]:
        offsets.append(offsets[-1] + len(line) + 1)
    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        start = offsets[e.range.start.line] + e.range.start.character
        end = offsets[min(e.range.end.line, len(lines) - 1)] + e.range.end.character if e.range.end.line < len(lines) else len(text)
        text = text[:start] + e.new_text + text[end:]
    return text


def test_related_spans_arrive_as_related_information(tmp_path):
    uri = (tmp_path / "a.llv").as_uri()
    source = f'define a = "x"\ndefine a = "y"\nscene "A"\n  shot "{{a}} {P[1:]}\n'
    seen = {}

    async def scenario(s: Session):
        seen["open"] = await s.open(source, uri=uri)

    run_session(scenario)
    [d] = [d for d in seen["open"].diagnostics if d.code == "E403"]
    [info] = d.related_information
    assert info.message == "first defined here" and info.location.uri == uri
    assert info.location.range.start == types.Position(line=0, character=7)


def test_quick_fixes_and_fix_all_apply_what_llv_fix_applies(tmp_path):
    from longlive_dsl.tools.fix import fix_source

    uri = (tmp_path / "a.llv").as_uri()
    source = f'scene "A" for 6s\n  shot {P}\nscene "B"\n  shot {P}\n  shot at 20 {P}\n  shot at 60 {P}\n'
    seen = {}

    async def scenario(s: Session):
        await s.open(source, uri=uri)
        seen["line0"] = await code_actions(s, uri, 0)
        seen["line5"] = await code_actions(s, uri, 5)

    result = run_session(scenario)
    kinds = result.capabilities.code_action_provider.code_action_kinds
    assert types.CodeActionKind.QuickFix in kinds and types.CodeActionKind.SourceFixAll in kinds

    quick = [a for a in seen["line0"] if a.kind == types.CodeActionKind.QuickFix]
    assert [a.title for a in quick] == ["write `5` (chunks) for `6s`"]
    assert quick[0].diagnostics[0].code == "N701"
    assert apply(source, quick[0].edit.changes[uri]).startswith('scene "A" for 5\n')

    [cut] = [a for a in seen["line5"] if a.kind == types.CodeActionKind.QuickFix]
    assert cut.title == "cut to a new scene at chunk 20, where the budget resets"
    assert cut.diagnostics[0].code == "E505"
    assert "\nscene at 20\n  shot at 20 " in apply(source, cut.edit.changes[uri])

    [fix_all] = [a for a in seen["line0"] if a.kind == types.CodeActionKind.SourceFixAll]
    assert apply(source, fix_all.edit.changes[uri]) == fix_source(source, "a.llv").source


def test_the_server_follows_the_configuration_and_suppression_comments(tmp_path):
    (tmp_path / "llv.toml").write_text('ignore = ["W603"]\n')
    uri = (tmp_path / "a.llv").as_uri()
    source = 'define unused = "x"\nscene "A" for 4\n  shot "a cat"  # llv: ignore[W601]\nscene "B"\n  shot "a dog"\n'
    seen = {}

    async def scenario(s: Session):
        seen["open"] = await s.open(source, uri=uri)

    run_session(scenario)
    assert [(d.code, d.range.start.line) for d in seen["open"].diagnostics] == [("W601", 4)]


def test_an_edited_clock_in_the_configuration_counts_at_once(tmp_path):
    """The analysis is cached per text and clock: the same text on a newly configured clock is analysed again."""
    config = tmp_path / "llv.toml"
    config.write_text('clock = "measured"\n')
    uri = (tmp_path / "a.llv").as_uri()
    seen = {}

    async def scenario(s: Session):
        await s.open(f'scene "A" for 10\n  shot {P}\n', uri=uri)
        seen["measured"] = await s.hover(0, 1, uri=uri)
        config.write_text('clock = "docs"\n')
        seen["docs"] = await s.hover(0, 1, uri=uri)

    run_session(scenario)
    assert "13.21 s" in seen["measured"].contents.value  # 29 + 9 × 32 frames at 24 fps
    assert "12.08 s" in seen["docs"].contents.value  # 10 × 29 frames at 24 fps


def test_a_diagnostic_in_an_included_file_gets_no_quick_fix_here(tmp_path, monkeypatch):
    """Its fix edits the included file: it is neither offered nor tried on this document's text."""
    from longlive_dsl import analyse
    from longlive_dsl.config import DEFAULT
    from longlive_dsl.tools import fix
    from longlive_dsl.tools.lsp import _Text
    from longlive_dsl.tools.lsp import code_actions as actions_for

    (tmp_path / "lib.llv").write_text('defne look = "warm light"\n', encoding="utf-8")
    file = str(tmp_path / "a.llv")
    source = f'include "lib.llv"\nscene "A" for 6s\n  shot {P}\n'
    result = analyse(source, file)
    assert {(d.code, d.file == file) for d in result.diagnostics if d.fixes} == {("E103", False), ("N701", True)}
    tried: list[str] = []
    state = fix._state
    monkeypatch.setattr(fix, "_state", lambda text, *rest: tried.append(text) or state(text, *rest))
    monkeypatch.setattr(fix, "fix_source", lambda text, *rest: fix.FixResult(text))  # only the quick fixes here
    everything = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=3, character=0))
    found = actions_for(result.diagnostics, _Text(source, len), "file:///a.llv", file, everything, DEFAULT)
    quick = [a for a in found if a.kind == types.CodeActionKind.QuickFix]
    assert [(a.title, a.diagnostics[0].code) for a in quick] == [("write `5` (chunks) for `6s`", "N701")]
    assert not any(text.startswith("define") for text in tried)  # lib.llv's edit was never applied to a.llv
