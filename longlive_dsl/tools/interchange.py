"""Import and export: the reference web app's JSON storyboard in, LongLive's offline formats out.

- `import_web_storyboard`: `[{"kind": "shot"|"cut", "prompt": "...", "atChunk": n}, ...]` (the shape
  the reference web app stores) -> readable .llv text. The first entry is the opener; every `cut`
  starts a scene; every other `shot` is a soft shot placed `at` its chunk. Bad input raises
  `StoryboardImportError` with each problem located (JSON path, line and column).
- `export_longlive_v1`: NVlabs/LongLive 1.0 interactive inference: one JSON Lines sample
  `{"prompts": [...]}` and the config's `switch_frame_indices` (latent frames).
- `export_longlive_v2`: NVlabs/LongLive 2.0: one prompt per chunk (block), with the in-band hard-cut
  prefix `"The scene transitions. "` on the first chunk of every scene after the first.
- The JSON Schemas `llv schema` prints: the compiled Program and the wire-trace records
  (`longlive_dsl/runtime/trace.py` writes them; their shapes are described here as pydantic models).

Exports start from the compiled Program (never a second parser or checker): a storyboard with
errors is not exported.
"""

from __future__ import annotations

import json
import math
import os
import re
import textwrap
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from .. import model
from ..program import Program

# ============================================================================================
# Import: the web app's JSON storyboard
# ============================================================================================


class WebBeat(BaseModel):
    """One entry of the web app's storyboard list. Unknown extra fields (ids, colours…) are ignored."""

    model_config = ConfigDict(extra="ignore")

    kind: Literal["shot", "cut"]
    prompt: str
    atChunk: int = Field(ge=0)  # noqa: N815 (the web app's spelling)


WebStoryboard = TypeAdapter(list[WebBeat])


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with an input file: where (JSON path, 1-based line/column) and what."""

    file: str
    path: str  # e.g. "[3].atChunk", "" for the whole document
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        where = f" {self.path}:" if self.path else ""
        return f"{self.file}:{self.line}:{self.column}: error:{where} {self.message}"


class StoryboardImportError(Exception):
    """The input is not a web-app storyboard; `problems` says every reason found, located."""

    def __init__(self, problems: list[ImportProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _json_positions(text: str) -> dict[tuple, int]:
    """Offsets of every value (and, for object members, of their key) in a JSON text, by path.

    Keys of the result are paths like `(3, "atChunk")`. The text must already parse as JSON.
    """
    decoder = json.JSONDecoder()
    ws = re.compile(r"[ \t\n\r]*")
    positions: dict[tuple, int] = {}

    def skip(i: int) -> int:
        return ws.match(text, i).end()

    def value(i: int, path: tuple) -> int:
        i = skip(i)
        positions[path] = i
        ch = text[i]
        if ch == "[":
            i = skip(i + 1)
            if text[i] == "]":
                return i + 1
            n = 0
            while True:
                i = skip(value(i, path + (n,)))
                n += 1
                if text[i] == ",":
                    i += 1
                    continue
                return i + 1  # "]"
        if ch == "{":
            i = skip(i + 1)
            if text[i] == "}":
                return i + 1
            while True:
                i = skip(i)
                key, after = decoder.raw_decode(text, i)
                positions[path + (("key", key),)] = i
                i = skip(after) + 1  # ":"
                i = skip(value(i, path + (key,)))
                if text[i] == ",":
                    i += 1
                    continue
                return i + 1  # "}"
        return decoder.raw_decode(text, i)[1]

    value(0, ())
    return positions


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _path_text(path: tuple) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


_PYDANTIC_MESSAGES = {
    "list_type": "the storyboard must be a JSON list of beats: [{\"kind\": …, \"prompt\": …, \"atChunk\": …}, …]",
    "model_type": "each beat must be an object {\"kind\": \"shot\"|\"cut\", \"prompt\": \"…\", \"atChunk\": n}",
    "literal_error": "`kind` must be \"shot\" (same scene) or \"cut\" (a new scene)",
    "string_type": "`prompt` must be a string",
    "int_type": "`atChunk` must be a whole number of chunks",
    "int_parsing": "`atChunk` must be a whole number of chunks",
    "int_from_float": "`atChunk` must be a whole number of chunks",
    "greater_than_equal": "`atChunk` cannot be negative: chunks count up from 0",
}


def parse_web_storyboard(text: str, file: str = "<input>") -> list[WebBeat]:
    """Validate a web-app JSON storyboard; raise StoryboardImportError listing every problem."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise StoryboardImportError([ImportProblem(file, "", e.lineno, e.colno, f"not valid JSON: {e.msg}")]) from None
    positions = _json_positions(text)

    def at(path: tuple, message: str, key: bool = False) -> ImportProblem:
        offset = None
        if key and path:
            offset = positions.get(path[:-1] + (("key", path[-1]),))
        if offset is None:
            probe = path
            while probe not in positions and probe:
                probe = probe[:-1]
            offset = positions.get(probe, 0)
        line, col = _line_col(text, offset)
        return ImportProblem(file, _path_text(path), line, col, message)

    problems: list[ImportProblem] = []
    try:
        beats = WebStoryboard.validate_python(data)
    except ValidationError as e:
        for err in e.errors():
            loc = tuple(err["loc"])
            kind = err["type"]
            if kind == "missing":
                field = loc[-1]
                hint = {"prompt": "every beat needs a `prompt` string",
                        "kind": "every beat needs a `kind`: \"shot\" or \"cut\"",
                        "atChunk": "every beat needs an `atChunk`: the session chunk it starts at"}.get(field, "")
                problems.append(at(loc[:-1], f"missing `{field}`" + (f": {hint}" if hint else "")))
                continue
            message = _PYDANTIC_MESSAGES.get(kind, err["msg"])
            if kind == "literal_error":
                message = f"unknown kind {json.dumps(err.get('input'))}: " + message
            elif kind in ("greater_than_equal",):
                message = f"{message} (found {err.get('input')})"
            problems.append(at(loc, message))
        raise StoryboardImportError(problems) from None
    if not beats:
        raise StoryboardImportError([at((), "the storyboard is empty: it needs at least an opening beat")])
    last = None
    for i, beat in enumerate(beats):
        folded = " ".join(beat.prompt.split())
        if not folded:
            problems.append(at((i, "prompt"), "this prompt is empty; the model refuses empty prompts"))
        elif "\x00" in folded or any("\ud800" <= ch <= "\udfff" for ch in folded):
            problems.append(at((i, "prompt"), "this prompt contains a NUL or an unpaired surrogate character"))
        if i == 0:
            if beat.atChunk != 0:
                problems.append(at((0, "atChunk"), f"the first beat is the opener and plays from chunk 0, "
                                                   f"but its atChunk is {beat.atChunk}"))
        elif last is not None and beat.atChunk <= last:
            what = "on the same chunk as" if beat.atChunk == last else "before"
            problems.append(at((i, "atChunk"), f"atChunk {beat.atChunk} is {what} the previous beat's ({last}); "
                                               f"beats must be in increasing chunk order, one per chunk"))
        last = beat.atChunk if last is None else max(last, beat.atChunk)
    if problems:
        raise StoryboardImportError(problems)
    return beats


# ---- writing the .llv ------------------------------------------------------------------------

WRAP_WIDTH = 96
"""Prompts longer than fit on a `shot` line are written as indented triple-quoted blocks."""

ONE_LINE_PROMPT = 76
_ARTICLES = {"a", "an", "the"}
_LINKING = _ARTICLES | {"and", "or", "of", "at", "in", "on", "over", "under", "to", "into", "from", "by", "for",
                        "with", "as", "its", "his", "her", "their", "is", "are"}


def quote(text: str) -> str:
    """A folded prompt as a .llv string body: escapes for `\\` and `\"`, doubled braces (no interpolation)."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("{", "{{").replace("}", "}}")


def _string(text: str, indent: str) -> str:
    body = quote(text)
    if len(body) <= ONE_LINE_PROMPT:
        return f'"{body}"'
    inner = indent + "    "
    lines = textwrap.wrap(body, width=WRAP_WIDTH - len(inner), break_long_words=False, break_on_hyphens=False)
    return '"""\n' + "\n".join(inner + line for line in lines) + f'\n{indent}"""'


def scene_name(prompt: str, words: int = 3) -> str:
    """A short scene name from the first words of a prompt's first clause: `A chef chops eggplant…` -> `Chef chops eggplant`."""
    word = r"[^\W_]+(?:['’-][^\W_]+)*"
    clause = re.split(r"[,.:;!?()\[\]—–]", prompt, maxsplit=1)[0]
    found = re.findall(word, clause) or re.findall(word, prompt)
    while found and found[0].lower() in _ARTICLES and len(found) > 1:
        found.pop(0)
    found = found[:words]
    while len(found) > 1 and found[-1].lower() in _LINKING:
        found.pop()
    name = " ".join(found)
    return name[:1].upper() + name[1:]


def title_from_path(path: str) -> str:
    """`my_cool-story.v2.json` -> `My cool story v2`."""
    stem = os.path.basename(path)
    stem = re.sub(r"\.json$", "", stem, flags=re.I)
    words = [w for w in re.split(r"[\s_.\-]+", stem) if w]
    title = " ".join(words) or "Imported storyboard"
    return title[:1].upper() + title[1:]


def web_to_llv(beats: list[WebBeat], title: str | None = None, origin: str | None = None) -> str:
    """The .llv text of a validated web storyboard: a scene at every cut, soft shots `at` their chunk."""
    out: list[str] = []
    if origin:
        out.append(f"# Imported from {os.path.basename(origin)} by `llv import`.")
    if title:
        out.append(f"title {_string(' '.join(title.split()), '')}")
    used: dict[str, int] = {}
    for i, beat in enumerate(beats):
        prompt = " ".join(beat.prompt.split())
        if i == 0 or beat.kind == "cut":
            name = scene_name(prompt) or f"Scene {len(used) + 1}"
            count = used.get(name.lower(), 0) + 1
            used[name.lower()] = count
            if count > 1:
                name = f"{name} {count}"
            out.append("")
            out.append(f'scene "{quote(name)}"' + (f" at {beat.atChunk}" if i else ""))
            out.append(f"  shot {_string(prompt, '  ')}")
        else:
            out.append(f"  shot at {beat.atChunk} {_string(prompt, '  ')}")
    return "\n".join(out).lstrip("\n") + "\n"


def import_web_storyboard(text: str, file: str = "<input>", title: str | None = None) -> str:
    """JSON text -> .llv text (title from the file name unless given); StoryboardImportError on bad input."""
    beats = parse_web_storyboard(text, file)
    if title is None and file not in ("<input>", "<stdin>", "-"):
        title = title_from_path(file)
    return web_to_llv(beats, title, None if file in ("<input>", "<stdin>", "-") else file)


# ============================================================================================
# Export: LongLive's offline inference formats
# ============================================================================================

SCENE_CUT_PREFIX = "The scene transitions. "
"""LongLive 2.0's in-band hard-cut marker (`DEFAULT_SCENE_CUT_PREFIX` in its dataset code)."""

V1_LATENT_FRAMES_PER_SECOND = 4
"""LongLive 1.0 (Wan2.1 VAE, 4x temporal compression) writes 16 fps video: 4 latent frames a second."""

V1_FRAMES_PER_BLOCK = 3
"""LongLive 1.0's `num_frame_per_block`: a prompt switch takes effect at the next block boundary."""


@dataclass(frozen=True)
class PlannedBeat:
    kind: str
    chunk: int
    prompt: str


def program_beats(program: Program) -> list[PlannedBeat]:
    """Every beat of a compiled program, in chunk order."""
    beats = [PlannedBeat(b.kind, b.chunk, b.prompt) for s in program.scenes for b in s.beats]
    return sorted(beats, key=lambda b: b.chunk)


def playing_chunks(program: Program) -> int:
    """How many chunks the run generates: its stop, capped where the model completes the last scene."""
    return min(program.stops_at, program.scenes[-1].completes_at)


def chunk_to_v1_latent(chunk: int) -> int:
    """A session chunk's start as a LongLive 1.0 latent-frame index, on a block boundary.

    Time is kept: chunk * 29/24 s at 4 latent frames a second, rounded up to a multiple of
    `num_frame_per_block` (3), which is where LongLive 1.0 actually switches.
    """
    latent = math.ceil(chunk * model.CHUNK_SECONDS * V1_LATENT_FRAMES_PER_SECOND)
    return math.ceil(latent / V1_FRAMES_PER_BLOCK) * V1_FRAMES_PER_BLOCK


@dataclass(frozen=True)
class V1Export:
    prompts: list[str]
    switch_frame_indices: list[int]
    num_output_frames: int
    cuts: int  # scene cuts flattened into plain prompt switches (1.0 has no cut)

    def jsonl(self) -> str:
        """The JSON Lines sample: one line `{"prompts": [...]}`."""
        return json.dumps({"prompts": self.prompts}, ensure_ascii=False) + "\n"

    def config(self, data_path: str | None = None) -> str:
        """The lines to set in `configs/longlive_interactive_inference.yaml`."""
        lines = ["# LongLive 1.0 interactive inference settings for this storyboard (written by `llv export`)"]
        if data_path:
            lines.append(f"data_path: {data_path}")
        lines.append(f"num_output_frames: {self.num_output_frames}")
        lines.append(f"num_frame_per_block: {V1_FRAMES_PER_BLOCK}")
        indices = ", ".join(str(i) for i in self.switch_frame_indices)
        lines.append(f"switch_frame_indices: {indices}" if indices else "# one prompt: no switch_frame_indices")
        return "\n".join(lines) + "\n"


def export_longlive_v1(program: Program) -> V1Export:
    """LongLive 1.0: one prompt per beat, switching at the beats' chunks converted to latent frames."""
    beats = program_beats(program)
    total = chunk_to_v1_latent(playing_chunks(program))
    return V1Export(
        prompts=[b.prompt for b in beats],
        switch_frame_indices=[chunk_to_v1_latent(b.chunk) for b in beats[1:]],
        num_output_frames=max(total, V1_FRAMES_PER_BLOCK),
        cuts=sum(1 for b in beats if b.kind == "cut"),
    )


def export_longlive_v2(program: Program) -> list[str]:
    """LongLive 2.0: the per-chunk prompt list (one per block), cut chunks prefixed in-band."""
    beats = program_beats(program)
    starts = {b.chunk: b for b in beats}
    prompts: list[str] = []
    current = beats[0]
    for chunk in range(playing_chunks(program)):
        beat = starts.get(chunk)
        if beat is not None:
            current = beat
            prompts.append((SCENE_CUT_PREFIX if beat.kind == "cut" else "") + beat.prompt)
        else:
            prompts.append(current.prompt)
    return prompts


def v2_ambiguous(program: Program) -> list[PlannedBeat]:
    """Beats whose own prompt begins with the cut prefix: LongLive 2.0 takes every chunk of theirs for a cut."""
    return [b for b in program_beats(program) if b.prompt.startswith(SCENE_CUT_PREFIX)]


def v2_jsonl(prompts: list[str]) -> str:
    """The 2.0 export as one JSON Lines sample `{"prompts": [...]}` (length = number of blocks)."""
    return json.dumps({"prompts": prompts}, ensure_ascii=False) + "\n"


# ============================================================================================
# Schemas: the compiled Program and the trace records
# ============================================================================================


class _Record(BaseModel):
    """Fields every trace record carries."""

    model_config = ConfigDict(extra="allow")

    t: float = Field(ge=0, description="Seconds since the trace opened (monotonic clock).")
    mono: float | None = Field(default=None, description="The monotonic clock reading itself, in seconds.")


class HttpRecord(_Record):
    """One HTTP call to the signalling/session API (status None when no response came)."""

    kind: Literal["http"]
    method: str
    path: str
    status: int | None
    ms: float | None = Field(default=None, description="Round-trip time in milliseconds.")
    error: str | None = None


class FrameRecord(_Record):
    """One frame sent or received on a data channel; `frame` is the decoded JSON (or `raw` + `error`)."""

    kind: Literal["send", "recv"]
    channel: str
    frame: Any = None
    raw: str | None = Field(default=None, description="The undecodable frame text (with `error`).")
    error: str | None = None


class ChannelRecord(_Record):
    kind: Literal["channel"]
    channel: str
    state: str


class PeerRecord(_Record):
    kind: Literal["peer"]
    state: str


class TrackRecord(_Record):
    kind: Literal["track"]
    track_kind: str
    state: str | None = None


class StatusRecord(_Record):
    kind: Literal["status"]
    status: str
    detail: str | None = None


class VideoRecord(_Record):
    kind: Literal["video"]
    event: str
    width: int | None = None
    height: int | None = None


class EventRecord(_Record):
    kind: Literal["event"]
    what: str


class EndRecord(_Record):
    kind: Literal["end"]
    exit_code: int | None = None
    failure: str | None = None
    message: str | None = None
    chunks_done: int | None = None
    frames_received: int | None = None
    frames_recorded: int | None = None
    frames_expected: int | None = None
    frames_dropped: int | None = None


TraceRecord = Annotated[
    Union[HttpRecord, FrameRecord, ChannelRecord, PeerRecord, TrackRecord, StatusRecord, VideoRecord,
          EventRecord, EndRecord],
    Field(discriminator="kind"),
]
"""One line of a wire trace (JSON Lines)."""

TRACE_RECORD = TypeAdapter(TraceRecord)


def program_schema() -> dict:
    """JSON Schema of the compiled Program (`llv compile --json`)."""
    schema = Program.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def trace_schema() -> dict:
    """JSON Schema of one trace record (each line of a `--trace` file)."""
    schema = TRACE_RECORD.json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "llv wire trace record"
    schema["description"] = ("One line of a wire trace (JSON Lines): `t` seconds since the trace opened "
                             "(monotonic), `kind` and the fields of that kind.")
    return schema
