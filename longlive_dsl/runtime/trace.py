"""The wire trace: one JSON object per line, flushed per line, with every secret redacted.

Records carry `t` (seconds since the trace opened, monotonic clock) and `kind`:
`http` (method, path, status), `send`/`recv` (channel, frame), `status`, `video`, `event`.
API keys and JWTs are replaced by `[REDACTED]` wherever they appear, in any string.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from typing import Any, TextIO

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
        self._file: TextIO | None = open(path, "w", encoding="utf-8") if path else None  # noqa: SIM115
        self.path = path

    def write(self, kind: str, **fields: Any) -> None:
        """Append one record and flush it to disk."""
        if self._file is None:
            return
        now = time.monotonic()
        record = {"t": round(now - self.t0, 6), "mono": round(now, 6), "kind": kind}
        record.update(self.redactor.value(fields))
        line = json.dumps(record, ensure_ascii=False, default=str)
        with self._lock:
            if self._file is not None:
                self._file.write(line + "\n")
                self._file.flush()

    def http(self, method: str, path: str, status: int | None, **extra: Any) -> None:
        self.write("http", method=method, path=path, status=status, **extra)

    def frame(self, direction: str, channel: str, frame: Any) -> None:
        """Record a data-channel frame; `frame` is the decoded JSON object or the raw text."""
        self.write(direction, channel=channel, frame=frame)

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


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
