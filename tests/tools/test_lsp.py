"""`llv lsp` driven by a real LSP client (pygls's) over the stdio of a subprocess."""

from __future__ import annotations

import asyncio
import sys

import pygls  # noqa: E402, F401
import pytest
from lsprotocol import types  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402

from longlive_dsl import (
    analyse,  # noqa: E402
    check,  # noqa: E402
)
from longlive_dsl.tools.fmt import format_source  # noqa: E402

URI = "file:///tmp/story.llv"
TIMEOUT = 20

P = "a low tracking shot at 50mm with golden backlight and soft mist over a frosted meadow at sunrise"

STORY = f'''title "Foxes"
define look = "warm amber light, 35mm lens"
scene "Meadow" for 10
  shot "A red fox trots across the meadow, {P}, {{look}}."
scene "Den"
    shot for 4 "The fox curls up in its den, {P}, {{look}}."
  shot for 6 "Snow falls on the den, {P}."
end at 20
'''


class Session:
    """One server process and the client talking to it; collects published diagnostics."""

    def __init__(self, client: LanguageClient) -> None:
        self.client = client
        self.diagnostics: asyncio.Queue[types.PublishDiagnosticsParams] = asyncio.Queue()

    async def open(self, text: str, uri: str = URI, version: int = 1) -> types.PublishDiagnosticsParams:
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="llv", version=version, text=text)))
        return await asyncio.wait_for(self.diagnostics.get(), TIMEOUT)

    async def change(self, changes: list, uri: str = URI, version: int = 2) -> types.PublishDiagnosticsParams:
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version), content_changes=changes))
        return await asyncio.wait_for(self.diagnostics.get(), TIMEOUT)

    async def hover(self, line: int, character: int, uri: str = URI):
        return await asyncio.wait_for(self.client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=character))), TIMEOUT)

    async def definition(self, line: int, character: int, uri: str = URI):
        return await asyncio.wait_for(self.client.text_document_definition_async(types.DefinitionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=character))), TIMEOUT)

    async def completion(self, line: int, character: int, uri: str = URI):
        return await asyncio.wait_for(self.client.text_document_completion_async(types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=character))), TIMEOUT)

    async def formatting(self, uri: str = URI):
        return await asyncio.wait_for(self.client.text_document_formatting_async(types.DocumentFormattingParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            options=types.FormattingOptions(tab_size=2, insert_spaces=True))), TIMEOUT)


def run_session(scenario, encodings: list[str] | None = None) -> types.InitializeResult:
    """Start `llv lsp`, initialize, run `scenario(session)`, then shutdown and exit; the init result."""

    async def main():
        client = LanguageClient("llv-test", "1")
        session = Session(client)

        @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params):
            session.diagnostics.put_nowait(params)

        await client.start_io(sys.executable, "-m", "longlive_dsl.cli", "lsp")
        try:
            general = types.GeneralClientCapabilities(position_encodings=encodings) if encodings else None
            result = await asyncio.wait_for(client.initialize_async(types.InitializeParams(
                capabilities=types.ClientCapabilities(general=general), process_id=None, root_uri=None)), TIMEOUT)
            client.initialized(types.InitializedParams())
            await scenario(session)
            await asyncio.wait_for(client.shutdown_async(None), TIMEOUT)
            client.exit(None)
            await asyncio.wait_for(client.stop(), TIMEOUT)
            assert client._server.returncode == 0
            return result
        finally:
            if client._server is not None and client._server.returncode is None:
                client._server.kill()

    return asyncio.run(main())


def test_full_session_over_stdio():
    seen = {}

    async def scenario(s: Session):
        opened = await s.open(STORY)
        seen["open"] = opened
        seen["hover_scene"] = await s.hover(4, 3)  # on `scene "Den"`
        seen["hover_shot"] = await s.hover(6, 5)  # on the second shot of "Den"
        col = STORY.splitlines()[3].index("{look}") + 2
        seen["hover_name"] = await s.hover(3, col)
        seen["definition"] = await s.definition(3, col)
        seen["formatting"] = await s.formatting()
        seen["hover_define"] = await s.hover(1, 2)
        seen["hover_end"] = await s.hover(7, 1)
        seen["symbols"] = await asyncio.wait_for(s.client.text_document_document_symbol_async(
            types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=URI))), TIMEOUT)
        # Type `{` then `lo` into the last prompt: the completion offers `look`.
        line6 = STORY.splitlines()[6]
        at = line6.index(f"{P}.") + len(P)
        changed = await s.change([types.TextDocumentContentChangePartial(
            range=types.Range(start=types.Position(line=6, character=at), end=types.Position(line=6, character=at)),
            text=", {lo")])
        seen["changed"] = changed
        seen["completion"] = await s.completion(6, at + 5)
        # Break the syntax: diagnostics say where; formatting declines.
        seen["broken"] = await s.change([types.TextDocumentContentChangeWholeDocument(text='scene "A"\n  shot at\n')],
                                        version=3)
        seen["broken_format"] = await s.formatting()

    result = run_session(scenario)
    caps = result.capabilities
    assert caps.hover_provider and caps.definition_provider and caps.document_formatting_provider
    assert "{" in caps.completion_provider.trigger_characters

    opened = seen["open"]
    assert opened.uri == URI and opened.version == 1
    assert [d.code for d in opened.diagnostics] == []  # this storyboard is clean

    scene = seen["hover_scene"]
    assert scene.range.start == types.Position(line=4, character=0)
    text = scene.contents.value
    assert 'scene "Den"' in text and "chunks 10–19" in text and "budget: 10 of 48 chunks used" in text
    assert "13.21 s" in text  # 10 chunks from a cut, measured clock: 29 + 9 × 32 frames at 24 fps

    shot = seen["hover_shot"]
    text = shot.contents.value
    assert "soft shot" in text and "chunks 14–19 (6 chunks)" in text and "8 s" in text
    assert "budget: uses chunks 4–9 of the scene's 48" in text and "completes at chunk 58" in text

    name = seen["hover_name"]
    assert "define look" in name.contents.value and "warm amber light" in name.contents.value

    (location,) = seen["definition"]
    assert location.uri == URI
    assert location.range == types.Range(start=types.Position(line=1, character=7),
                                         end=types.Position(line=1, character=11))

    (edit,) = seen["formatting"]
    assert edit.new_text == format_source(STORY)
    assert edit.range.start == types.Position(line=0, character=0)
    assert edit.range.end == types.Position(line=len(STORY.splitlines()), character=0)

    assert "define look" in seen["hover_define"].contents.value
    assert "stops after 20 chunks" in seen["hover_end"].contents.value
    outline = seen["symbols"]
    assert [x.name for x in outline] == ["look", "Meadow", "Den"]
    assert [x.detail for x in outline[2].children] == ["cut at chunk 10", "shot at chunk 14"]
    assert outline[2].range.end.line == 6

    assert [d.code for d in seen["changed"].diagnostics] == ["E404"]  # a lone `{` (the name is not closed yet)
    items = seen["completion"].items
    assert [i.label for i in items] == ["look"]
    assert items[0].text_edit.new_text == "look}"
    assert "warm amber light" in items[0].detail

    broken = seen["broken"]
    assert broken.version == 3
    (d,) = broken.diagnostics
    assert d.severity == types.DiagnosticSeverity.Error and d.source == "llv"
    assert d.range.start.line == 1 or d.range.start.line == 2
    assert seen["broken_format"] is None


EMOJI = f'''define look = "amber light"
scene "Fox 🦊"
  shot "🦊🦊 狐狸 {{look}} {{nope}} {P}"
'''


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_positions_are_utf16_code_units():
    seen = {}
    line = EMOJI.splitlines()[2]
    look = utf16(line[: line.index("{look}")])  # two emoji before it: two UTF-16 units each

    async def scenario(s: Session):
        seen["open"] = await s.open(EMOJI)
        seen["hover"] = await s.hover(2, look + 2)  # on the `o` of `{look}`, counted in UTF-16 units
        seen["definition"] = await s.definition(2, look + 1)

    run_session(scenario)
    (d,) = seen["open"].diagnostics
    assert d.code == "E402"
    start = line.index("{nope}")  # in code points
    assert look == line.index("{look}") + 2
    assert d.range.start == types.Position(line=2, character=start + 2)  # the emoji moved it right by 2
    assert d.range.end == types.Position(line=2, character=start + 2 + len("{nope}"))
    hover = seen["hover"]
    assert "define look" in hover.contents.value and "amber light" in hover.contents.value
    assert hover.range == types.Range(start=types.Position(line=2, character=look),
                                      end=types.Position(line=2, character=look + len("{look}")))
    (location,) = seen["definition"]
    assert location.range.start == types.Position(line=0, character=7)


def test_positions_follow_a_negotiated_utf8_encoding():
    seen = {}

    async def scenario(s: Session):
        seen["open"] = await s.open(EMOJI)

    result = run_session(scenario, encodings=[types.PositionEncodingKind.Utf8])
    assert result.capabilities.position_encoding == types.PositionEncodingKind.Utf8
    (d,) = seen["open"].diagnostics
    line = EMOJI.splitlines()[2]
    start = len(line[: line.index("{nope}")].encode("utf-8"))
    assert d.range.start == types.Position(line=2, character=start)


def test_hover_over_a_beat_that_never_fires():
    seen = {}
    story = f'scene "Long take"\n  shot "{P}"\n  shot at 50 "{P}"\n'

    async def scenario(s: Session):
        seen["open"] = await s.open(story)
        seen["hover"] = await s.hover(2, 4)

    run_session(scenario)
    assert "E505" in [d.code for d in seen["open"].diagnostics]
    assert "never fires" in seen["hover"].contents.value


@pytest.mark.parametrize("source", [
    STORY,
    EMOJI,
    f'scene "Long take"\n  shot "{P}"\n  shot at 50 "{P}"\n',  # checks: E505
    'scene "A"\n  shot "{nope}"\n',  # resolve errors: the checks are skipped
    'scene "A"\n  shot at\n',  # syntax error
])
def test_analysis_reports_exactly_what_check_reports(source):
    result = analyse(source, "story.llv")
    timeline, diagnostics = check(source, "story.llv")
    assert result.diagnostics == diagnostics
    assert (result.document is None) == (result.timeline is None) == (timeline is None)
    if result.document is not None:
        assert result.document.source == source and result.timeline.file == "story.llv"


def test_hover_on_the_clock_statement_names_the_profile_and_its_source():
    source = f'clock docs\nscene "A" for 40s\n  shot "{P}"\n'
    from longlive_dsl.tools.lsp import hover_text

    text, span = hover_text(analyse(source, "story.llv"), 2)
    assert "**clock docs**" in text and "every chunk is 29 frames" in text and "published" in text
    assert span.line == 1


def test_hover_on_a_scene_in_seconds_counts_the_clocks_frames():
    from longlive_dsl.tools.lsp import hover_text

    text, _ = hover_text(analyse(f'scene "A" for 40s\n  shot "{P}"\n', "story.llv"), 12)
    assert "chunks 0–29 (30 chunks" in text and "39.88 s" in text  # 957 frames on the measured clock


def test_hover_on_an_end_past_the_last_scenes_completion_shows_the_one_stop_point():
    from longlive_dsl.tools.lsp import hover_text

    source = f'scene "A"\n  shot "{P}"\nend at 60\n'
    text, _ = hover_text(analyse(source, "story.llv"), source.index("end") + 1)
    assert "stops after 48 chunks" in text and "before this end" in text and "1533 frames" in text
