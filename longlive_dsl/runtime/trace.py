"""The wire trace: one JSON object per line, flushed per line, with every secret redacted.

Every record kind is a pydantic model here, next to the writer, and nothing else can be
written: `Trace.write` validates each record against `TraceRecord` (a union discriminated on
`kind`; `event` records are further discriminated on `what`) and refuses anything the models
do not describe. `read_records` reads a trace back as those models, `read_trace` as plain dicts
checked through them, `trace_schema` is what `llv schema --trace` prints and `markdown_table` is
the table docs/run.md and docs/formats.md carry. Records carry `t` (seconds since the trace
opened) and `mono` (the monotonic clock itself). API keys and JWTs are replaced by `[REDACTED]`
wherever they appear, in any string.

Writing never raises for the file's sake: when it cannot be written (a full disk, a file-size
limit) the trace is cut back to its last whole record, closed, keeps `error`, and calls `on_error`
once with a message, so the run can end at once; what was written stays valid JSON Lines.

To add a record kind: write its model below (a `kind: Literal[...]` and its fields), add it to
`TraceRecord`; to add an `event`, write an `_Event` subclass with its `what` and add it to
`EventRecord`. Then regenerate the docs' tables (`.venv/bin/python scripts/trace-tables`).
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

REDACTED = "[REDACTED]"

# Reactor API keys start `rk_`; a JWT is three base64url parts, the first starting `eyJ`.
_PATTERNS = (
    re.compile(r"rk_[A-Za-z0-9_\-]{4,}"),
    re.compile(r"eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9_\-\.=]+"),
)
_SECRET_KEYS = {"authorization", "reactor-api-key", "jwt", "api_key", "token", "access_token"}


class Redactor:
    """Replaces registered secrets and anything shaped like a key or a JWT."""

    def __init__(self, secrets: list[str] | None = None):
        self._secrets: list[str] = []
        self._lock = threading.Lock()
        for s in secrets or []:
            self.add(s)

    def add(self, secret: str | None) -> None:
        """Register a secret (an API key, a minted JWT) to be redacted from now on."""
        if secret and len(secret) >= 4:
            with self._lock:
                if secret not in self._secrets:
                    self._secrets.append(secret)
                    self._secrets.sort(key=len, reverse=True)

    def text(self, s: str) -> str:
        """Redact one string."""
        for secret in self._secrets:
            if secret in s:
                s = s.replace(secret, REDACTED)
        s = _PATTERNS[0].sub(REDACTED, s)
        s = _PATTERNS[1].sub(REDACTED, s)
        s = _PATTERNS[2].sub(lambda m: m.group(1) + REDACTED, s)
        return s

    def value(self, v: Any) -> Any:
        """Redact every string inside a JSON-like value; values under secret-named keys go whole."""
        if isinstance(v, str):
            return self.text(v)
        if isinstance(v, dict):
            return {
                k: (REDACTED if isinstance(k, str) and k.lower() in _SECRET_KEYS and v2 else self.value(v2))
                for k, v2 in v.items()
            }
        if isinstance(v, (list, tuple)):
            return [self.value(x) for x in v]
        return v


# ============================================================================================
# The record kinds: every line a trace may hold
# ============================================================================================


class _Record(BaseModel):
    """Fields every trace record carries; no record carries a field its model does not name."""

    model_config = ConfigDict(extra="forbid")

    t: float = Field(ge=0, description="Seconds since the trace opened (monotonic clock).")
    mono: float = Field(description="The system's monotonic clock, in seconds (comparable across processes).")


class RunRecord(_Record):
    """The run began (written by `llv run` first)."""

    kind: Literal["run"]
    file: str = Field(description="the storyboard")
    mode: Literal["simulator", "server", "cloud"] = Field(description="where it runs")
    clock: str = Field(description="the chunk clock profile the plan assumed (`measured`, `docs`)")


class StatusRecord(_Record):
    """The connection status changed."""

    kind: Literal["status"]
    # The values of runtime.Status (a test keeps them equal).
    status: Literal["disconnected", "connecting", "waiting", "ready"]
    detail: str = Field(description="what the status line shows beside it")


class HttpRecord(_Record):
    """One HTTP call to the signalling or session API."""

    kind: Literal["http"]
    method: str
    path: str
    status: int | None = Field(description="null when no response came; then `error` says why")
    ms: float | None = Field(default=None, description="round-trip time in milliseconds")
    error: str | None = Field(default=None, description="why no response came")


class SendRecord(_Record):
    """A frame sent on a data channel."""

    kind: Literal["send"]
    channel: str = Field(description="`data` or `control`")
    frame: dict[str, Any] = Field(description="the frame as sent")


class RecvRecord(_Record):
    """A frame received on a data channel: decoded, or the raw text when it could not be."""

    model_config = ConfigDict(json_schema_extra={"oneOf": [
        {"required": ["frame"], "not": {"anyOf": [{"required": ["raw"]}, {"required": ["error"]}]}},
        {"required": ["raw", "error"], "not": {"required": ["frame"]}},
    ]})

    kind: Literal["recv"]
    channel: str = Field(description="`data` or `control`")
    frame: dict[str, Any] | None = Field(
        default=None, description="`{scope, type, data}`, integers restored"
    )
    raw: str | None = Field(default=None, description="an undecodable frame's text, its first 2,000 characters")
    error: str | None = Field(default=None, description="why it could not be decoded")

    @model_validator(mode="after")
    def _decoded_or_raw(self) -> RecvRecord:
        given = self.model_fields_set  # as the schema's oneOf: which fields are there, not their values
        if ("frame" in given) == ("raw" in given) or ("raw" in given) != ("error" in given):
            raise ValueError("a received frame has either `frame`, or `raw` and `error`")
        return self


class PeerRecord(_Record):
    """The WebRTC peer connection changed state."""

    kind: Literal["peer"]
    state: Literal["new", "connecting", "connected", "disconnected", "failed", "closed"]


class ChannelRecord(_Record):
    """A data channel opened or closed."""

    kind: Literal["channel"]
    channel: str = Field(description="`data` or `control`")
    state: Literal["open", "closed"]


class TrackRecord(_Record):
    """A media track arrived, or ended."""

    kind: Literal["track"]
    track_kind: Literal["video", "audio"]
    state: Literal["ended"] | None = Field(default=None, description="absent when the track arrived")


class VideoRecord(_Record):
    """The first video frame arrived."""

    kind: Literal["video"]
    event: Literal["first_frame"]
    width: int
    height: int


class MarkRecord(_Record):
    """A milestone of the run was reached (the first time only)."""

    kind: Literal["mark"]
    what: Literal["setup_acked", "started", "first_frame"]


class LiveRecord(_Record):
    """A live action of a directed session (`llv direct`, `longlive_dsl.connect`): asked, sent, then settled."""

    kind: Literal["live"]
    action: Literal["shot", "cut", "pause", "resume", "reset"]
    outcome: Literal["declined", "sent", "acknowledged", "refused", "unacknowledged"] = Field(
        description="`declined`: refused by the plan's rules, nothing sent; `sent`; then `acknowledged`, "
                    "`refused` (a `command_error`) or `unacknowledged` (no answer in time)")
    command: str | None = Field(default=None, description="the wire command sent")
    command_index: int | None = Field(default=None, description="its index: after the Program's own commands")
    prompt: str | None = Field(default=None, description="the shot's or cut's prompt")
    at: int | None = Field(default=None, description="the session chunk it was aimed at; null: the next chunk")
    asked: str | None = Field(default=None, description="the time as asked (`+N`, `@N`) when it was clamped or relative")
    reason: str | None = Field(default=None, description="why it was declined or refused")
    fix: str | None = Field(default=None, description="what to do instead (a declined beat)")


class _Event(_Record):
    kind: Literal["event"]


class CapacityRetryEvent(_Event):
    """The cloud had no capacity (429); retrying after a wait."""

    what: Literal["no capacity, retrying"]
    retry_after: float = Field(description="seconds")


class DeleteRefusedEvent(_Event):
    """Deleting the cloud session was refused."""

    what: Literal["DELETE refused"]
    status: int = Field(description="the HTTP status")


class InterruptedEvent(_Event):
    """The run was interrupted (Ctrl-C, SIGTERM)."""

    what: Literal["interrupted"]


class HangupEvent(_Event):
    """The terminal hung up (SIGHUP): the session was torn down."""

    what: Literal["hangup"]


class MalformedAnswerEvent(_Event):
    """A signalling answer did not have the shape the protocol gives it (the run ends, exit 10)."""

    what: Literal["malformed answer"]
    step: str = Field(description="the signalling step, e.g. `creating the session`")
    problem: str = Field(description="what was wrong with the answer (its values are never echoed)")


class FramesDroppedEvent(_Event):
    """Fewer video frames arrived than the model said it emitted."""

    what: Literal["frames dropped"]
    frames_dropped: int
    frames_expected: int = Field(description="the frames the model said it emitted (`frames_emitted`)")


class NoSchemaEvent(_Event):
    """The model sent no command schema: commands went unchecked."""

    what: Literal["no schema"]


class UnacknowledgedEvent(_Event):
    """Commands got no acknowledgement in time; the run went on."""

    what: Literal["unacknowledged"]
    commands: list[int] = Field(description="their indexes in the Program")


class CommandErrorEvent(_Event):
    """The model refused a command (`command_error`)."""

    what: Literal["command_error"]
    command: str = Field(description="the command type")
    reason: str
    command_index: int | None = Field(description="the refused command's index in the Program, if known")


class PeerUnresponsiveEvent(_Event):
    """A directed session gave up on a peer that sent nothing and answered no liveness probe."""

    what: Literal["peer unresponsive"]
    seconds: float = Field(description="how long it had been silent")


class MessageFloodEvent(_Event):
    """The server sent more messages than the run could handle (`MESSAGE_BACKLOG` waiting); the run ends."""

    what: Literal["message flood"]
    backlog: int = Field(description="the messages waiting to be handled")


class RecorderErrorEvent(_Event):
    """Recording the video failed."""

    what: Literal["recorder error"]
    error: str


class CloseFailedEvent(_Event):
    """Ending the session failed (the run's result stands)."""

    what: Literal["closing the session failed"]
    error: str = Field(description="the exception's type")


class EndRecord(_Record):
    """The run ended (always the last record of a run)."""

    kind: Literal["end"]
    exit_code: int
    # The names of runtime.Failure (a test keeps them equal).
    failure: Literal[
        "STORYBOARD", "USAGE", "AUTH", "BILLING", "NO_CAPACITY", "VERSION", "TIMEOUT", "CONNECTION_LOST",
        "COMMAND_ERROR", "SERVER", "OUTPUT", "HANGUP", "INTERRUPTED",
    ] | None = Field(description="null when the run succeeded")
    message: str
    chunks_done: int
    frames_received: int
    frames_recorded: int
    frames_expected: int | None = Field(description="the frames the model said it emitted; null when it did not say")
    frames_dropped: int = Field(description="frames the model emitted that never arrived (a lower bound)")


EventRecord = Annotated[
    CapacityRetryEvent | DeleteRefusedEvent | InterruptedEvent | HangupEvent | MalformedAnswerEvent | FramesDroppedEvent
    | NoSchemaEvent | UnacknowledgedEvent | CommandErrorEvent | PeerUnresponsiveEvent | MessageFloodEvent | RecorderErrorEvent
    | CloseFailedEvent,
    Field(discriminator="what"),
]
"""A note in the trace; `what` says which."""

TraceRecord = Annotated[
    RunRecord | StatusRecord | HttpRecord | SendRecord | RecvRecord | PeerRecord | ChannelRecord | TrackRecord | VideoRecord | MarkRecord | LiveRecord
    | EventRecord | EndRecord,
    Field(discriminator="kind"),
]
"""One line of a wire trace (JSON Lines)."""

TRACE_RECORD: TypeAdapter[Any] = TypeAdapter(TraceRecord)


class TraceRecordError(ValueError):
    """A record the trace format does not describe (an unknown kind or `what`, a missing or extra field)."""


def _problems(e: ValidationError) -> str:
    parts = []
    for err in e.errors(include_url=False)[:3]:
        loc = ".".join(str(x) for x in err["loc"])
        parts.append(f"{loc}: {err['msg']}" if loc else err["msg"])
    return "; ".join(parts)


class Trace:
    """A JSON Lines wire trace; a `Trace(None)` records nothing but still redacts."""

    def __init__(self, path: str | os.PathLike[str] | None, redactor: Redactor | None = None):
        self.redactor = redactor or Redactor()
        self.t0 = time.monotonic()
        self._lock = threading.Lock()
        self._fd: int | None = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644) if path else None
        self._size = 0  # bytes of whole records written
        # Room held on the trace's disk for its `end` record (a nameless file, gone with the process).
        self._reserve: int | None = None
        # Under a file-size limit (`ulimit -f`), the bytes the records before `end` may take.
        self._budget: int | None = None
        if self._fd is not None and path is not None and stat.S_ISREG(os.fstat(self._fd).st_mode):
            self._reserve = _hold_room(os.path.dirname(os.path.abspath(path)), END_RESERVE)
            limit = _file_size_limit()
            if limit is not None and limit >= 2 * END_RESERVE:
                self._budget = limit - END_RESERVE
        self.path = path
        self.error: OSError | None = None
        self.on_error: Callable[[str], None] | None = None

    def write(self, kind: str, **fields: Any) -> None:
        """Append one record and hand it to the kernel.

        A record the models do not describe raises TraceRecordError (a bug in llv); a file that cannot
        be written never raises (see `error`).
        """
        if self._fd is None or (self.error is not None and kind != "end"):
            return  # after a failed write only the `end` record is tried (checked again under the lock)
        now = time.monotonic()
        record = {"t": round(now - self.t0, 6), "mono": round(now, 6), "kind": kind}
        record.update(self.redactor.value(fields))
        try:
            TRACE_RECORD.validate_python(record, strict=True)
        except ValidationError as e:
            raise TraceRecordError(f"not a trace record: {_problems(e)}") from None
        data = (json.dumps(record, ensure_ascii=False, default=str) + "\n").encode("utf-8")
        with self._lock:
            if self._fd is None or (self.error is not None and kind != "end"):
                return  # after a failed write only the `end` record is tried
            if kind != "end" and self._budget is not None and self._size + len(data) > self._budget:
                error: OSError | None = OSError(errno.EFBIG, os.strerror(errno.EFBIG))  # the rest is for `end`
            else:
                error = self._append(data)
            if error is not None and kind == "end" and error.errno in (errno.ENOSPC, errno.EDQUOT) and self._release():
                error = self._append(data)  # the room held for it
            if error is None or self.error is not None:
                return
            self.error = error
        self._report()

    def _append(self, data: bytes) -> OSError | None:
        """Write one whole record, or cut the torn part off again (under the lock)."""
        assert self._fd is not None
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view) :]
        except OSError as e:
            try:
                os.ftruncate(self._fd, self._size)
                os.lseek(self._fd, self._size, os.SEEK_SET)  # the next record starts right there, not past a hole
            except OSError:
                pass
            return e
        self._size += len(data)
        return None

    def _release(self) -> bool:
        """Give the room held for `end` back to the disk; whether there was any."""
        fd, self._reserve = self._reserve, None
        if fd is None:
            return False
        try:
            os.close(fd)
        except OSError:
            pass
        return True

    def message(self) -> str | None:
        """What went wrong with the trace, for a person, or None."""
        if self.error is None:
            return None
        return f"cannot write the trace {self.path}: {self.error.strerror or self.error}"

    def _report(self) -> None:
        if self.on_error is not None and self.error is not None:
            try:
                self.on_error(self.message() or "the trace failed")
            except Exception:
                pass

    def http(self, method: str, path: str, status: int | None, **extra: Any) -> None:
        """Record an HTTP call (`ms` when it was answered, `error` when not)."""
        self.write("http", method=method, path=path, status=status, **extra)

    def frame(self, direction: str, channel: str, frame: Any) -> None:
        """Record a data-channel frame (`send` or `recv`); `frame` is the decoded JSON object."""
        self.write(direction, channel=channel, frame=frame)

    def close(self) -> None:
        """Close the file (each record is already written); later writes record nothing."""
        with self._lock:
            self._release()
            if self._fd is not None:
                try:
                    os.close(self._fd)
                except OSError:
                    pass
                self._fd = None


END_RESERVE = 16 * 1024
"""Bytes a trace keeps for its `end` record: held on its disk (for a full disk or quota) and, under a
file-size limit of at least twice this, left below that limit."""


def _file_size_limit() -> int | None:
    """The largest file this process may write (`ulimit -f`, RLIMIT_FSIZE), or None when unlimited."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    except (ImportError, OSError, ValueError):
        return None
    return None if soft == resource.RLIM_INFINITY else soft


def _hold_room(folder: str, size: int) -> int | None:
    """An open, nameless file of `size` bytes in `folder` (closing it frees the room), or None."""
    fd: int | None = None
    try:
        try:
            fd = os.open(folder, os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, 0o600)
        except (OSError, AttributeError):  # no O_TMPFILE here: a named file, unlinked at once
            fd, name = tempfile.mkstemp(prefix=".llv-trace-room.", dir=folder)
            os.unlink(name)
        try:
            os.posix_fallocate(fd, 0, size)  # one call that really allocates the room
        except OSError:  # a filesystem without fallocate: write the room out
            view = memoryview(bytes(size))
            while view:
                view = view[os.write(fd, view) :]
        return fd
    except OSError:
        if fd is not None:
            os.close(fd)
        return None


class TraceFileError(ValueError):
    """A trace file holds a line that is not a trace record; the message names the line."""


def _lines(path: str | os.PathLike[str]) -> Any:
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as e:
                if not line.endswith("\n"):  # the last line, torn by a crash mid-write
                    continue
                raise TraceFileError(f"{os.fspath(path)} line {number}: not JSON ({e.msg})") from None
            yield number, data


def _checked(path: str | os.PathLike[str]) -> Any:
    for number, data in _lines(path):
        try:
            yield data, TRACE_RECORD.validate_python(data, strict=True)
        except ValidationError as e:
            raise TraceFileError(f"{os.fspath(path)} line {number}: not a trace record: {_problems(e)}") from None


def read_records(path: str | os.PathLike[str]) -> list[TraceRecord]:
    """Read a trace back as typed records; a torn last line (a crash mid-write) is skipped."""
    return [record for _, record in _checked(path)]


def read_trace(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read a trace back as the JSON objects written, each checked against the models; a torn last line is skipped."""
    return [data for data, _ in _checked(path)]


# ============================================================================================
# What the models say, for `llv schema --trace` and the docs
# ============================================================================================


def trace_schema() -> dict[str, Any]:
    """JSON Schema of one trace record (each line of a `--trace` file), generated from the models."""
    schema = TRACE_RECORD.json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "llv wire trace record"
    schema["description"] = ("One line of a wire trace (JSON Lines): `t` seconds since the trace opened "
                             "(monotonic), `mono` the monotonic clock, `kind` and the fields of that kind.")
    return schema


def record_models() -> list[type[_Record]]:
    """Every record model, in the order of the trace format (events one per `what`)."""
    models: list[type[_Record]] = []
    for arm in get_args(get_args(TraceRecord)[0]):
        if get_origin(arm) is Annotated:  # the nested union of events
            models.extend(get_args(get_args(arm)[0]))
        else:
            models.append(arm)
    return models


def _literal(annotation: Any) -> list[str] | None:
    if get_origin(annotation) is Literal:
        return [str(a) for a in get_args(annotation)]
    for arg in get_args(annotation):  # `Literal[...] | None`
        values = _literal(arg)
        if values is not None:
            return values
    return None


def markdown_table() -> str:
    """The table of record kinds and their fields that docs/run.md and docs/formats.md carry."""
    rows = ["| kind | fields | written when |", "| --- | --- | --- |"]
    for m in record_models():
        kind = _literal(m.model_fields["kind"].annotation)[0]  # type: ignore[index]
        label = f"`{kind}`"
        fields = []
        for name, info in m.model_fields.items():
            if name in ("t", "mono", "kind"):
                continue
            values = _literal(info.annotation)
            if name == "what" and kind == "event" and values:
                label = f"`event` (`what`: `{values[0]}`)"
                continue
            text = f"`{name}`"
            notes = []
            if values:
                notes.append(", ".join(f"`{v}`" for v in values))
            if info.description:
                notes.append(info.description)
            if not info.is_required():
                notes.append("optional")
            if notes:
                text += f" ({'; '.join(notes)})"
            fields.append(text)
        doc = (m.__doc__ or "").strip().rstrip(".")
        rows.append(f"| {label} | {', '.join(fields) or '—'} | {doc} |")
    return "\n".join(rows) + "\n"
