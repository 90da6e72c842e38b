"""The wire trace: one JSON object per line, flushed per line, with every secret redacted.

Records carry `t` (seconds since the trace opened, monotonic clock) and `kind`:
`http` (method, path, status), `send`/`recv` (channel, frame), `status`, `video`, `event`.
API keys and JWTs are replaced by `[REDACTED]` wherever they appear, in any string.

Writing never raises: when the file cannot be written (a full disk, a file-size limit) the trace
is cut back to its last whole record, closed, keeps `error`, and calls `on_error` once with a
message, so the run can end at once; what was written stays valid JSON Lines.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Callable
from typing import Any

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


class Trace:
    """A JSON Lines wire trace; a `Trace(None)` records nothing but still redacts."""

    def __init__(self, path: str | os.PathLike[str] | None, redactor: Redactor | None = None):
        self.redactor = redactor or Redactor()
        self.t0 = time.monotonic()
        self._lock = threading.Lock()
        self._fd: int | None = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644) if path else None
        self._size = 0  # bytes of whole records written
        self.path = path
        self.error: OSError | None = None
        self.on_error: Callable[[str], None] | None = None

    def write(self, kind: str, **fields: Any) -> None:
        """Append one record and hand it to the kernel; never raises (see `error`)."""
        if self._fd is None:
            return
        now = time.monotonic()
        record = {"t": round(now - self.t0, 6), "mono": round(now, 6), "kind": kind}
        record.update(self.redactor.value(fields))
        data = (json.dumps(record, ensure_ascii=False, default=str) + "\n").encode("utf-8")
        with self._lock:
            if self._fd is None:
                return
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(self._fd, view) :]
            except OSError as e:
                self._fail(e)
            else:
                self._size += len(data)
                return
        self._report()

    def _fail(self, error: OSError) -> None:
        """Cut a torn record off and stop writing (under the lock)."""
        self.error = error
        assert self._fd is not None
        try:
            os.ftruncate(self._fd, self._size)
        except OSError:
            pass
        try:
            os.close(self._fd)
        except OSError:
            pass
        self._fd = None

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
        self.write("http", method=method, path=path, status=status, **extra)

    def frame(self, direction: str, channel: str, frame: Any) -> None:
        """Record a data-channel frame; `frame` is the decoded JSON object or the raw text."""
        self.write(direction, channel=channel, frame=frame)

    def close(self) -> None:
        """Close the file (each record is already written)."""
        with self._lock:
            if self._fd is not None:
                try:
                    os.close(self._fd)
                except OSError:
                    pass
                self._fd = None


def read_trace(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read a trace back; a torn last line (a crash mid-write) is skipped."""
    records = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return records
