"""Configuration and suppressions, as ruff users expect them.

Configuration lives in `llv.toml` (top-level keys) or in `[tool.llv]` of `pyproject.toml`; the
nearest one walking up from a storyboard's folder applies to it (in one folder `llv.toml` wins).
Keys: `select` and `ignore` (codes or code prefixes: "W601", "W6", "N"), `deny` ("warnings",
"notes" or codes: these fail `llv lint`), `clock` (a chunk-clock profile, see model.CLOCKS).

Suppressions are comments: `# llv: ignore[W601]` silences those codes on its own line (a
diagnostic whose span starts or ends there), `# llv: ignore-file[W601, W603]` in the whole file.
Errors can be neither ignored nor suppressed: an error means the storyboard does not compile.
A suppression that cannot work (an unknown code, an error's code, a malformed comment) is W608.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from .diagnostics import ERROR, NOTE, WARNING, Diagnostic, Span

CONFIG_FILES = ("llv.toml", "pyproject.toml")
KEYS = ("select", "ignore", "deny", "clock")
DENY_GROUPS = {"warnings": WARNING, "notes": NOTE}


class ConfigError(Exception):
    """A configuration that cannot be used; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class Config:
    """What to report and what fails: the settings the commands pass on (frozen; merge with `with_options`)."""

    select: tuple[str, ...] | None = None  # None: every code
    ignore: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    clock: str | None = None  # a model.CLOCKS name; None: the default clock
    path: str | None = None  # the file it was read from

    def reports(self, code: str) -> bool:
        """Whether a diagnostic with this code is shown (errors always are)."""
        if _severity(code) == ERROR:
            return True
        if self.select is not None and not _matches(code, self.select):
            return False
        return not _matches(code, self.ignore)

    def fails(self, d: Diagnostic) -> bool:
        """Whether this diagnostic fails `llv lint`: every error, and the warnings and notes denied."""
        if d.is_error:
            return True
        groups = [g for g, sev in DENY_GROUPS.items() if sev == d.severity]
        return any(g in self.deny for g in groups) or _matches(d.code, [c for c in self.deny if c not in DENY_GROUPS])

    def with_options(self, select: Iterable[str] | None = None, ignore: Iterable[str] = (),
                     deny: Iterable[str] = (), clock: str | None = None) -> Config:
        """This configuration with command-line options on top (select replaces, ignore and deny add)."""
        merged = replace(
            self,
            select=tuple(_codes("--select", select, "select")) if select is not None else self.select,
            ignore=self.ignore + tuple(_codes("--ignore", ignore, "ignore")),
            deny=self.deny + tuple(_deny("--deny", deny)),
            clock=_clock("--clock", clock) if clock is not None else self.clock,
        )
        return merged


DEFAULT = Config()


def _severity(code: str) -> str | None:
    from .codes import CODES

    known = CODES.get(code)
    return known.severity if known else None


def _matches(code: str, prefixes: Iterable[str]) -> bool:
    return any(code.startswith(p) for p in prefixes)


def _codes(where: str, values: Iterable[str] | None, key: str) -> list[str]:
    from .codes import CODES

    out = []
    for value in values or ():
        if not isinstance(value, str):
            raise ConfigError(f"{where}: `{key}` takes codes as strings, found {value!r}")
        code = value.strip().upper()
        covered = [c for c in CODES if c.startswith(code)] if code else []
        if not covered:
            raise ConfigError(f"{where}: `{key}` names `{value}`, which is no code or prefix of one "
                              f"(`llv explain --list` lists them)")
        if key == "ignore" and all(CODES[c].severity == ERROR for c in covered):
            raise ConfigError(f"{where}: `ignore` names `{value}`, but errors cannot be ignored: "
                              f"an error means the storyboard does not compile")
        out.append(code)
    return out


def _deny(where: str, values: Iterable[str]) -> list[str]:
    out = []
    for value in values or ():
        if isinstance(value, str) and value.strip().lower() in DENY_GROUPS:
            out.append(value.strip().lower())
        else:
            out += _codes(where, [value], "deny")
    return out


def _clock(where: str, value: object) -> str:
    from .model import CLOCKS

    if not isinstance(value, str) or value not in CLOCKS:
        raise ConfigError(f"{where}: `clock` is one of {', '.join(CLOCKS)}, not {value!r}")
    return value


def _list(where: str, table: dict[str, Any], key: str) -> list[Any] | None:
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise ConfigError(f"{where}: `{key}` is a list of codes, e.g. {key} = [\"W601\"]")
    return value


def from_table(table: dict[str, Any], where: str) -> Config:
    """A Config from the keys of `[tool.llv]` or `llv.toml` (unknown keys and bad values are errors)."""
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown key `{unknown[0]}` (llv reads {', '.join(KEYS)})")
    select = _list(where, table, "select")
    return Config(
        select=tuple(_codes(where, select, "select")) if select is not None else None,
        ignore=tuple(_codes(where, _list(where, table, "ignore"), "ignore")),
        deny=tuple(_deny(where, _list(where, table, "deny") or [])),
        clock=_clock(where, table["clock"]) if "clock" in table else None,
        path=where,
    )


def read_config(path: str) -> Config | None:
    """The configuration in one file: llv.toml (top level) or pyproject.toml ([tool.llv]; None without it)."""
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as e:
        raise ConfigError(f"{path}: cannot read ({e.strerror or e})") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML ({e})") from None
    if os.path.basename(path) == "pyproject.toml":
        tool = data.get("tool", {})
        if not isinstance(tool, dict) or "llv" not in tool:
            return None
        table = tool["llv"]
        where = f"{path} [tool.llv]"
    else:
        table, where = data, path
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table of settings")
    return from_table(table, where)


@dataclass
class ConfigFinder:
    """Finds the configuration of each file, walking up from its folder; remembers each folder's answer."""

    cache: dict[str, Config] = field(default_factory=dict)

    def for_file(self, file: str) -> Config:
        """The configuration for a storyboard (for stdin, '-', the current folder's)."""
        folder = os.getcwd() if file in ("-", "<stdin>") else os.path.dirname(os.path.abspath(file))
        return self.for_folder(folder)

    def for_folder(self, folder: str) -> Config:
        seen = []
        found = DEFAULT
        current = folder
        while True:
            if current in self.cache:
                found = self.cache[current]
                break
            seen.append(current)
            config = None
            for name in CONFIG_FILES:
                candidate = os.path.join(current, name)
                if os.path.isfile(candidate):
                    config = read_config(candidate)
                    if config is not None:
                        break
            if config is not None:
                found = config
                break
            parent = os.path.dirname(current)
            if parent == current:
                break
            current = parent
        for folder_seen in seen:
            self.cache[folder_seen] = found
        return found


# ---- suppression comments -------------------------------------------------------------------------

_DIRECTIVE = re.compile(r"#\s*llv\s*:")
_SUPPRESSION = re.compile(r"#\s*llv\s*:\s*(ignore|ignore-file)\s*\[([^\]]*)\]\s*(?:#.*)?$")


@dataclass(frozen=True, slots=True)
class Suppressions:
    """The `# llv: ignore[...]` comments of one file: codes per line, codes for the whole file."""

    lines: dict[int, frozenset[str]]
    file: frozenset[str]
    problems: tuple[Diagnostic, ...]  # W608 for the ones that cannot work

    def covers(self, d: Diagnostic) -> bool:
        """Whether a comment silences this diagnostic (never an error)."""
        if d.is_error:
            return False
        if d.code in self.file:
            return True
        return d.code in self.lines.get(d.span.line, ()) or d.code in self.lines.get(d.span.end_line, ())


def suppressions(source: str, file: str) -> Suppressions:
    """Read the suppression comments of a file."""
    from .codes import CODES
    from .syntax.parser import comments

    lines: dict[int, set[str]] = {}
    whole: set[str] = set()
    problems: list[Diagnostic] = []
    for comment in comments(source):
        text, at = comment.text, comment.span
        if not _DIRECTIVE.match(text):
            continue
        length = len(text.rstrip())
        span = Span(at.line, at.column, at.line, at.column + max(1, length), at.start, at.start + length)
        m = _SUPPRESSION.match(text.rstrip())
        if m is None:
            problems.append(Diagnostic(
                "W608", WARNING, "this `# llv:` comment is not a suppression llv understands", file, span,
                help="write `# llv: ignore[W601]` for this line or `# llv: ignore-file[W601]` for the file"))
            continue
        kind, listed = m.groups()
        codes = [c.strip().upper() for c in listed.split(",") if c.strip()]
        if not codes:
            problems.append(Diagnostic("W608", WARNING, "this suppression names no code", file, span,
                                       help="name the codes it silences, e.g. `# llv: ignore[W601]`"))
        for code in codes:
            known = CODES.get(code)
            if known is None:
                problems.append(Diagnostic("W608", WARNING, f"`{code}` in this suppression is not a code", file, span,
                                           help="`llv explain --list` lists the codes"))
            elif known.severity == ERROR:
                problems.append(Diagnostic("W608", WARNING, f"`{code}` is an error, which cannot be suppressed",
                                           file, span, help="fix the error: the storyboard does not compile with it"))
            elif kind == "ignore-file":
                whole.add(code)
            else:
                lines.setdefault(span.line, set()).add(code)
    return Suppressions({n: frozenset(c) for n, c in lines.items()}, frozenset(whole), tuple(problems))


def apply(diagnostics: list[Diagnostic], source: str | None, file: str, config: Config = DEFAULT) -> list[Diagnostic]:
    """The diagnostics the user asked for, in order: selected, not ignored, not suppressed by a comment;
    plus W608 for suppressions that cannot work. Errors always stay."""
    from .diagnostics import sort_key

    if source is not None and "llv" in source:
        found = suppressions(source, file)
        diagnostics = [d for d in diagnostics if not found.covers(d)] + list(found.problems)
    return sorted((d for d in diagnostics if config.reports(d.code)), key=sort_key)
