"""`llv lsp`: a language server for .llv files (pygls 2.x over stdio).

- diagnostics on open and on every change (exactly what `llv lint` reports: both are built on
  longlive_dsl.analyse, which also hands the server its Document and Timeline), with the file's
  configuration and `# llv: ignore[...]` comments applied, and related spans as relatedInformation;
- code actions: each diagnostic's fix as a quick fix, and "fix all" (`source.fixAll`), verified as `llv fix` does;
- hover on a `shot` (its chunks, its seconds, where it falls in the scene's 48-chunk budget, whether it
  fires), on a `scene` (its chunks, its seconds, the budget used of 48) and on a `{name}` (the define's text);
- go to definition from a `{name}` to its `define`;
- completion of define names after `{` in a string (the defines above the cursor that exist now, even
  while the text does not parse), and of statement keywords on a partly typed line;
- document formatting (the same text as `llv fmt`).

Positions: the parser counts 1-based lines and columns in code points; the protocol counts 0-based
lines and columns in the client's units (UTF-16 code units unless the client negotiated UTF-8 or
UTF-32). Every conversion goes through `_Text`, which measures with the document's negotiated codec, so
an emoji or CJK text before a span still underlines the right characters. A byte-order mark and CRLF
or CR line ends are accepted as `llv lint` accepts them, and lines are counted as the client counts them.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from .. import model
from ..analysis import Analysis, analyse
from ..checks import firing_beats
from ..diagnostics import ERROR, NOTE, WARNING, Diagnostic, Span
from ..plan import clock, completes_at, scene_plays_until
from ..source import normalise_text
from ..syntax import ast
from ..syntax.errors import STATEMENT_WORDS
from ..timeline import Beat, Scene, Timeline
from .formats import message_text, tool_version

if TYPE_CHECKING:
    from ..config import Config

log = logging.getLogger(__name__)

NAME = "llv"
KEYWORDS = STATEMENT_WORDS
_SEVERITY = {
    ERROR: types.DiagnosticSeverity.Error,
    WARNING: types.DiagnosticSeverity.Warning,
    NOTE: types.DiagnosticSeverity.Information,
}
_BRACES = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
_OPEN_NAME = re.compile(r"(\{+)([A-Za-z_][A-Za-z0-9_]*)?$")
_PARTIAL_WORD = re.compile(r"^[ \t]*([a-z]*)$")
_DEFINE_LINE = re.compile(r"^[ \t]*define[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.M)


# ---- positions ----------------------------------------------------------------------------------


class _Text:
    """A document's text with conversions between parser spans/offsets and protocol positions.

    The parser reads the text normalised (no BOM, `\n` line ends: longlive_dsl.source.normalise_text);
    the client counts lines at `\r\n`, `\r` or `\n` and sees a BOM as a character of the first line.
    Both have the same lines, so a parser line is a client line, and only the first line's columns
    shift by the BOM.
    """

    def __init__(self, raw: str, units: Callable[[str], int]) -> None:
        self.bom = "\ufeff" if raw.startswith("\ufeff") else ""
        self.source = normalise_text(raw)  # what analyse() parses
        self.lines = self.source.split("\n")
        self.units = units  # str -> number of client code units
        self.starts = [0]
        for line in self.lines[:-1]:
            self.starts.append(self.starts[-1] + len(line) + 1)

    def _client_line(self, row: int) -> str:
        return self.bom + self.lines[row] if row == 0 else self.lines[row]

    def position(self, line: int, column: int) -> types.Position:
        """1-based line and code-point column (the parser's) -> protocol position."""
        row = min(max(line - 1, 0), len(self.lines) - 1)
        text = self.lines[row]
        prefix = (self.bom if row == 0 else "") + text[: max(column - 1, 0)]
        return types.Position(line=row, character=self.units(prefix))

    def range(self, span: Span) -> types.Range:
        """A parser span as a protocol range."""
        return types.Range(start=self.position(span.line, span.column),
                           end=self.position(span.end_line, span.end_column))

    def offset(self, position: types.Position) -> int:
        """Protocol position -> 0-based code-point offset into the parsed source (clamped to the line)."""
        if position.line >= len(self.lines):
            return len(self.source)
        text = self._client_line(position.line)
        seen = 0
        column = 0
        for ch in text:
            if seen >= position.character:
                break
            seen += self.units(ch)
            column += 1
        if position.line == 0 and self.bom:
            column = max(column - 1, 0)
        return self.starts[position.line] + column

    def position_at(self, offset: int) -> types.Position:
        """A 0-based offset into the parsed source -> protocol position."""
        line = self.source.count("\n", 0, offset)
        return self.position(line + 1, offset - self.starts[line] + 1)

    def whole(self) -> types.Range:
        """The range of the whole document, as the client sees it."""
        return types.Range(start=types.Position(line=0, character=0), end=self.position_at(len(self.source)))


# ---- analysis ----------------------------------------------------------------------------------


def _strings(doc: ast.Document) -> Iterator[tuple[ast.Statement, ast.Text]]:
    """Every string literal a `{name}` may appear in: prompts and define texts (with their statement)."""
    for st in doc.statements:
        if isinstance(st, ast.Define):
            yield st, st.text
        elif isinstance(st, ast.Shot):
            yield st, st.prompt


def _text_at(doc: ast.Document, offset: int) -> tuple[ast.Statement, ast.Text] | None:
    for st, text in _strings(doc):
        if text.span.start < offset < text.span.end:
            return st, text
    return None


def _defines(doc: ast.Document) -> dict[str, ast.Define]:
    found: dict[str, ast.Define] = {}
    for st in doc.statements:
        if isinstance(st, ast.Define):
            found.setdefault(st.name, st)
    return found


def definition_elsewhere(analysis: Analysis, name: str, units: Callable[[str], int]) -> list[types.Location] | None:
    """Where a define that an included file brings is written: that file's URI and the define's name."""
    from pygls.uris import from_fs_path

    tl = analysis.timeline
    info = tl.defines.get(name) if tl is not None else None
    if info is None or info.node.origin is None:
        return None
    origin = info.node.origin
    uri = from_fs_path(os.path.abspath(origin.file))
    if uri is None:
        return None
    return [types.Location(uri=uri, range=_Text(origin.source, units).range(info.node.name_span))]


def reference_at(doc: ast.Document, offset: int) -> tuple[str, int, int] | None:
    """The `{name}` under the offset: (name, start, end) offsets of the whole `{name}`."""
    hit = _text_at(doc, offset)
    if hit is None:
        return None
    text = hit[1]
    q = 3 if text.triple else 1
    base = text.span.start + q
    raw = doc.source[base : text.span.end - q]
    for m in _BRACES.finditer(raw):
        if m.group(1) and base + m.start() <= offset < base + m.end():
            return m.group(1), base + m.start(), base + m.end()
    return None


# ---- hover texts -------------------------------------------------------------------------------


def _seconds(tl: Timeline, start: int, end: int) -> str:
    """The video time between two chunk boundaries, on the timeline's clock (exact: a huge chunk count has no float)."""
    hundredths = round((tl.seconds_at(end) - tl.seconds_at(start)) * 100)
    text = f"{hundredths // 100}.{hundredths % 100:02d}".rstrip("0").rstrip(".")
    return text + " s"


def _chunks(n: int) -> str:
    return f"{n} chunk" + ("" if n == 1 else "s")


def hover_scene(tl: Timeline, scene: Scene) -> str:
    """Markdown for a scene: its chunks, seconds and budget."""
    budget = model.SCENE_BUDGET_CHUNKS
    lines = [f"**{scene.label}** — scene {scene.index + 1} of {len(tl.scenes)}"]
    if scene.start is None:
        lines.append("Its start cannot be derived (see the diagnostics).")
        return "\n\n".join(lines)
    end = scene_plays_until(tl, scene)
    completes = completes_at(scene)
    used = min(end, completes) - scene.start
    why = {"for": "its `for`", "last shot": "its last shot's `for`", "next scene": "the next scene's `at`"}
    ends = f", ends by {why[scene.end_from]}" if scene.end_from else (
        ", runs until the model completes it" if scene.end is None and end == completes else ", stops at `end`")
    lines.append(f"chunks {scene.start}–{end - 1} ({_chunks(end - scene.start)}{ends}) · "
                 f"{clock(tl, scene.start)}–{clock(tl, end)} ({_seconds(tl, scene.start, end)})")
    lines.append(f"budget: {used} of {budget} chunks used · the model completes this scene at chunk "
                 f"{completes} ({clock(tl, completes)})")
    beats = ", ".join(f"{b.kind} at {b.start if b.start is not None else '?'}" for b in scene.beats)
    if beats:
        lines.append(f"{len(scene.beats)} beat{'s' if len(scene.beats) != 1 else ''}: {beats}")
    return "\n\n".join(lines)


def hover_beat(tl: Timeline, scene: Scene, beat: Beat, fires: bool) -> str:
    """Markdown for a shot: its chunks, seconds, place in the budget and whether it fires."""
    kind = "soft shot" if beat.kind == model.SHOT else beat.kind
    lines = [f"**{kind} (`{model.BEAT_COMMANDS[beat.kind]}`)** in {scene.label}"]
    if beat.start is None:
        lines.append("Its position cannot be derived (see the diagnostics).")
        return "\n\n".join(lines)
    end = beat.end if beat.end is not None else (
        scene_plays_until(tl, scene) if scene.start is not None else None)
    if end is not None and end > beat.start:
        lines.append(f"chunks {beat.start}–{end - 1} ({_chunks(end - beat.start)}) · "
                     f"{clock(tl, beat.start)}–{clock(tl, end)} ({_seconds(tl, beat.start, end)})")
    else:
        lines.append(f"starts at chunk {beat.start} ({clock(tl, beat.start)})")
    if scene.start is not None:
        into = beat.start - scene.start
        if end is not None and end > beat.start:
            used = f"uses chunks {into}–{end - scene.start - 1} of the scene's {model.SCENE_BUDGET_CHUNKS}"
        else:
            used = f"starts {_chunks(into)} into the scene's {model.SCENE_BUDGET_CHUNKS}"
        lines.append(f"budget: {used}; the scene completes at chunk {scene.completes_at}")
    if not fires:
        lines.append("**never fires**: the video does not reach it (see the diagnostics)")
    lines.append(f"> {beat.prompt}" if beat.prompt else "")
    return "\n\n".join(x for x in lines if x)


def hover_text(analysis: Analysis, offset: int) -> tuple[str, Span] | None:
    """The hover for an offset: Markdown and the span it is about."""
    doc, tl = analysis.document, analysis.timeline
    if doc is None or tl is None:
        return None
    ref = reference_at(doc, offset)
    if ref is not None:
        name = ref[0]
        info = tl.defines.get(name)
        if info is None:
            return None
        value = info.value if not info.broken else "(this define has an error)"
        span = Span.of(doc.source, ref[1], ref[2])
        return f"**define {name}** (line {info.node.span.line})\n\n> {value}", span
    for st in doc.statements:
        if isinstance(st, ast.Define) and _inside(st.span, offset):
            info = tl.defines.get(st.name)
            if info is None or info.node.span.start != st.span.start:
                return None
            use = "" if info.used else "\n\nnot used by any prompt (yet)"
            return f"**define {st.name}**\n\n> {info.value}{use}", st.span
        if isinstance(st, ast.Clock) and _inside(st.span, offset):
            c = tl.clock
            chose = "" if c.name == st.name else f" (`{st.name}` is not a clock profile; using the default)"
            return (f"**clock {c.name}**{chose}: {c.describe()}, at {model.FPS} fps; seconds and timecodes "
                    f"convert to the nearest chunk boundary on it\n\n{c.source}"), st.span
        if isinstance(st, ast.End) and _inside(st.span, offset) and tl.end is not None:
            stop = tl.stops_at if tl.stops_at is not None else tl.end.chunks
            early = "" if stop >= tl.end.chunks else f" (the model completes the last scene at chunk {stop}, before this end)"
            return (f"**end**: the run stops after {_chunks(stop)}{early} — {clock(tl, stop)} of video "
                    f"({tl.frames_at(stop)} frames at {model.FPS} fps on the {tl.clock.name} clock)"), st.span
    for variant in analysis.variants or [tl]:  # a variant's scenes are in its own timeline; the opening in all
        fates = iter(firing_beats(variant))
        for scene in variant.scenes:
            if _inside(scene.node.span, offset):
                return hover_scene(variant, scene), scene.node.span
            for beat in scene.beats:
                fires = next(fates)
                if _inside(beat.node.span, offset):
                    return hover_beat(variant, scene, beat, fires), beat.node.span
    return None


def _inside(span: Span, offset: int) -> bool:
    return span.start <= offset < span.end


# ---- the server --------------------------------------------------------------------------------


class LlvLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(NAME, tool_version(), text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.analyses: dict[str, tuple[str | None, Analysis]] = {}  # uri -> the clock it was analysed on, the analysis
        self.last_good: dict[str, ast.Document] = {}  # the last version that parsed, for completion while typing

    def text_of(self, uri: str) -> tuple[Any, _Text]:
        """The workspace's document and its text with position conversions."""
        document = self.workspace.get_text_document(uri)
        return document, _Text(document.source, document.position_codec.client_num_units)

    def analysis(self, uri: str, config: Config | None = None) -> Analysis:
        """The analysis of the document's current text on its configured chunk clock (cached per text and clock).

        `config` is the document's configuration when the caller has already read it (config_of).
        """
        document = self.workspace.get_text_document(uri)
        source = normalise_text(document.source)
        clock = (config if config is not None else config_of(uri)).clock
        cached = self.analyses.get(uri)
        if cached is not None and cached[0] == clock and cached[1].source == source:
            return cached[1]
        result = analyse(source, _file_name(uri), clock)
        self.analyses[uri] = (clock, result)
        if result.document is not None:
            self.last_good[uri] = result.document
        return result


def _file_name(uri: str) -> str:
    from pygls.uris import to_fs_path

    return to_fs_path(uri) or uri


def to_lsp(d: Diagnostic, text: _Text, uri: str | None = None) -> types.Diagnostic:
    related = related_information(d, text, uri) if uri is not None else None
    return types.Diagnostic(range=text.range(d.span), message=message_text(d), severity=_SEVERITY.get(d.severity),
                            code=d.code, source=NAME, related_information=related or None)


def related_information(d: Diagnostic, text: _Text, uri: str) -> list[types.DiagnosticRelatedInformation]:
    """The diagnostic's secondary labelled spans ("first defined here") as LSP related information."""
    from ..diagnostics import printable

    return [types.DiagnosticRelatedInformation(location=types.Location(uri=uri, range=text.range(r.span)),
                                               message=printable(r.message)) for r in d.related]


def here(d: Diagnostic, result: Analysis) -> Diagnostic:
    """A diagnostic as this document shows it: one in an included file is placed on the `include` that brought it."""
    import dataclasses

    via = result.included_by.get(d.file) if d.file != result.file else None
    if via is None:
        return d
    return dataclasses.replace(d, span=via, message=f"{d.file}:{d.span.line}:{d.span.column}: {d.message}",
                               related=(), fixes=())


def config_of(uri: str) -> Config:
    """The document's configuration, found as `llv lint` finds it, afresh for each request (an edited
    llv.toml counts at once); the defaults when it cannot be read."""
    from ..config import DEFAULT, ConfigError, ConfigFinder

    try:
        return ConfigFinder().for_file(_file_name(uri)) if uri.startswith("file:") else DEFAULT
    except ConfigError as e:
        log.warning("%s; using the defaults", e)
        return DEFAULT


def reported(uri: str, result: Analysis, config: Config) -> list[Diagnostic]:
    """What `llv lint` would report for this document: its configuration and suppression comments applied."""
    from ..config import apply

    return apply(result.diagnostics, result.source, _file_name(uri), config)


def _edit_range(text: _Text, start: int, end: int) -> types.Range:
    return types.Range(start=text.position_at(start), end=text.position_at(end))


def code_actions(diagnostics: list[Diagnostic], text: _Text, uri: str, file: str,
                 want: types.Range, config: Config) -> list[types.CodeAction]:
    """Quick fixes for the diagnostics touching `want` (each verified as `llv fix` verifies it), and a
    `source.fixAll` action that applies every safe fix, as `llv fix` does.

    A diagnostic in an included file gets no quick fix here: its edits are offsets into that file.
    """
    from .fix import _state, apply_edits, fix_source, why_unsafe

    actions: list[types.CodeAction] = []
    lo, hi = text.offset(want.start), text.offset(want.end)
    before = None
    for d in diagnostics:
        if not d.fixes or d.file != file or d.span.end < lo or d.span.start > hi:
            continue
        fix = d.fixes[0]
        before = before or _state(text.source, file, config.clock)
        if why_unsafe(before, _state(apply_edits(text.source, list(fix.edits)), file, before.clock), [d.code]) is not None:
            continue
        edits = [types.TextEdit(range=_edit_range(text, e.span.start, e.span.end), new_text=e.text) for e in fix.edits]
        actions.append(types.CodeAction(
            title=fix.message, kind=types.CodeActionKind.QuickFix, diagnostics=[to_lsp(d, text, uri)],
            is_preferred=True, edit=types.WorkspaceEdit(changes={uri: edits})))
    if any(d.fixes and d.file == file for d in diagnostics):  # fix-all, like llv fix, edits this file only
        fixed = fix_source(text.source, file, config).source
        if fixed != text.source:
            actions.append(types.CodeAction(
                title="Fix all safe problems (llv fix)", kind=types.CodeActionKind.SourceFixAll,
                edit=types.WorkspaceEdit(changes={uri: [types.TextEdit(range=text.whole(), new_text=fixed)]})))
    return actions


def build_server() -> LlvLanguageServer:
    server = LlvLanguageServer()

    def publish(ls: LlvLanguageServer, uri: str) -> None:
        document, text = ls.text_of(uri)
        config = config_of(uri)
        result = ls.analysis(uri, config)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=document.version,
            diagnostics=[to_lsp(here(d, result), text, uri) for d in reported(uri, result, config)]))

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: LlvLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        publish(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: LlvLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        publish(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: LlvLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.analyses.pop(uri, None)
        ls.last_good.pop(uri, None)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: LlvLanguageServer, params: types.HoverParams) -> types.Hover | None:
        _, text = ls.text_of(params.text_document.uri)
        found = hover_text(ls.analysis(params.text_document.uri), text.offset(params.position))
        if found is None:
            return None
        markdown, span = found
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=markdown),
                           range=text.range(span))

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: LlvLanguageServer, params: types.DefinitionParams) -> list[types.Location] | None:
        uri = params.text_document.uri
        _, text = ls.text_of(uri)
        result = ls.analysis(uri)
        doc = result.document
        if doc is None:
            return None
        ref = reference_at(doc, text.offset(params.position))
        if ref is None:
            return None
        target = _defines(doc).get(ref[0])
        if target is not None:
            return [types.Location(uri=uri, range=text.range(target.name_span))]
        return definition_elsewhere(result, ref[0], text.units)

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=["{"]))
    def completion(ls: LlvLanguageServer, params: types.CompletionParams) -> types.CompletionList | None:
        uri = params.text_document.uri
        _, text = ls.text_of(uri)
        result = ls.analysis(uri)
        offset = text.offset(params.position)
        items = complete(result, ls.last_good.get(uri), text, offset)
        return types.CompletionList(is_incomplete=False, items=items) if items is not None else None

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def symbols(ls: LlvLanguageServer, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol] | None:
        _, text = ls.text_of(params.text_document.uri)
        result = ls.analysis(params.text_document.uri)
        return document_symbols(result, text)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll]))
    def code_action(ls: LlvLanguageServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        uri = params.text_document.uri
        _, text = ls.text_of(uri)
        config = config_of(uri)
        result = ls.analysis(uri, config)
        return code_actions(reported(uri, result, config), text, uri, _file_name(uri), params.range, config)

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: LlvLanguageServer, params: types.DocumentFormattingParams) -> list[types.TextEdit] | None:
        from .fmt import FormatError, UnsafeFormat, format_source

        _, text = ls.text_of(params.text_document.uri)
        try:
            formatted = format_source(text.source, _file_name(params.text_document.uri))
        except FormatError:
            return None  # syntax errors: the diagnostics already say where
        except UnsafeFormat as e:  # a bug of the formatter's: change nothing, say why
            ls.window_show_message(types.ShowMessageParams(
                type=types.MessageType.Error, message=f"llv fmt left the document as it was: {e}"))
            return None
        if formatted == text.source:
            return []
        return [types.TextEdit(range=text.whole(), new_text=formatted)]

    return server


def document_symbols(result: Analysis, text: _Text) -> list[types.DocumentSymbol] | None:
    """The outline: defines, then each scene with its shots (and where they start, when known)."""
    if result.document is None:
        return None
    starts: dict[int, Any] = {}
    for timeline in result.variants:
        for scene in timeline.scenes:
            starts.setdefault(scene.node.span.start, scene.start)
            for beat in scene.beats:
                starts.setdefault(beat.node.span.start, (beat.start, beat.kind))
    out: list[types.DocumentSymbol] = []
    scene_symbol: types.DocumentSymbol | None = None
    children: list[types.DocumentSymbol] = []
    number = 0
    for st in result.document.statements:
        if isinstance(st, ast.Define):
            out.append(types.DocumentSymbol(
                name=st.name, kind=types.SymbolKind.Constant, range=text.range(st.span),
                selection_range=text.range(st.name_span), detail=_shorten(" ".join(st.text.value.split()), 40)))
        elif isinstance(st, ast.Scene):
            number += 1
            name = " ".join(st.name.value.split()) if st.name is not None else f"scene {number}"
            start = starts.get(st.span.start)
            scene_symbol = types.DocumentSymbol(
                name=name or f"scene {number}", kind=types.SymbolKind.Namespace, range=text.range(st.span),
                selection_range=text.range(st.keyword_span),
                detail=f"chunk {start}" if start is not None else None, children=[])
            children = scene_symbol.children = []
            out.append(scene_symbol)
        elif isinstance(st, ast.Shot):
            start, kind = starts.get(st.span.start, (None, model.SHOT))
            symbol = types.DocumentSymbol(
                name=_shorten(" ".join(st.prompt.value.split()), 40) or "(empty prompt)",
                kind=types.SymbolKind.Event, range=text.range(st.span), selection_range=text.range(st.keyword_span),
                detail=f"{kind} at chunk {start}" if start is not None else kind)
            if scene_symbol is not None:
                children.append(symbol)
                scene_symbol.range = types.Range(start=scene_symbol.range.start, end=symbol.range.end)
            else:
                out.append(symbol)
    return out


def complete(result: Analysis, last_good: ast.Document | None, text: _Text, offset: int) -> list[types.CompletionItem] | None:
    """Define names after an open `{` in a string; statement keywords at the start of a line."""
    line = text.source.count("\n", 0, offset)
    before = text.source[text.starts[line] : offset]
    after = text.source[offset : offset + 1]
    doc = result.document
    m = _OPEN_NAME.search(before)
    if m and len(m.group(1)) % 2 == 1:  # `{{` is a literal brace; `{{{` is a literal one and a `{name`
        if doc is not None and _text_at(doc, offset) is None:
            return None  # not inside a prompt or a define
        start = offset - len(m.group(2) or "")
        return _define_items(result, last_good, text, start, offset, close="" if after == "}" else "}")
    word = _PARTIAL_WORD.match(before)
    if word is None:
        return None
    inside = _text_at(doc, offset) is not None if doc is not None else _in_block_string(text.source, text.starts[line])
    if inside:
        return None
    return [types.CompletionItem(label=k, kind=types.CompletionItemKind.Keyword) for k in KEYWORDS
            if k.startswith(word.group(1))]


def _define_items(result: Analysis, last_good: ast.Document | None, text: _Text, start: int, offset: int,
                  close: str) -> list[types.CompletionItem]:
    """Completion items for the defines above the cursor that exist in the text as it is now."""
    doc = result.document
    known: dict[str, str] = {}  # name -> its text, as far as it is known
    if doc is not None:
        values = {n: i.value for n, i in result.timeline.defines.items()} if result.timeline is not None else {}
        for d in _defines(doc).values():
            if d.span.end <= offset:
                known[d.name] = values.get(d.name) or " ".join(d.text.value.split())
    else:
        # The text does not parse while it is being typed: offer the names it defines above the
        # cursor now (never a deleted one), with their text from the last version that parsed.
        before = _defines(last_good) if last_good is not None else {}
        for name in _DEFINE_LINE.findall(text.source, 0, offset):
            old = before.get(name)
            known.setdefault(name, " ".join(old.text.value.split()) if old is not None else "")
    edit_range = types.Range(start=text.position_at(start), end=text.position_at(offset))
    items = []
    for name, value in known.items():
        items.append(types.CompletionItem(
            label=name, kind=types.CompletionItemKind.Variable,
            detail=_shorten(value) or None, documentation=types.MarkupContent(
                kind=types.MarkupKind.Markdown, value=f"`define {name}`" + (f"\n\n> {value}" if value else "")),
            text_edit=types.TextEdit(range=edit_range, new_text=name + close)))
    return items


@lru_cache(maxsize=1)
def _strings_and_comments() -> re.Pattern[str]:
    """The grammar's own STRING and COMMENT terminals, as one pattern (the grammar stays their one description)."""
    from ..syntax.parser import lark_parser

    parser = lark_parser()
    string = parser.get_terminal("STRING").pattern.to_regexp()
    comment = parser.get_terminal("COMMENT").pattern.to_regexp()
    return re.compile(f"{string}|{comment}")


def _in_block_string(source: str, line_start: int) -> bool:
    """True when a triple-quoted string opened above `line_start` is still open there."""
    pattern = _strings_and_comments()
    pos = 0
    while True:
        m = pattern.search(source, pos, line_start)
        if m is None:
            return False
        if source.startswith('"""', m.start()) and not (m.group().startswith('"""') and len(m.group()) >= 6):
            return True  # a `"""` with no closing `"""` before the line
        pos = m.end()


def _shorten(value: str, n: int = 60) -> str:
    return value if len(value) <= n else value[: n - 1] + "…"


def serve() -> None:
    """Run the server over stdin/stdout until the client says exit."""
    logging.basicConfig(level=logging.WARNING)  # stderr: stdout carries the protocol
    build_server().start_io()
