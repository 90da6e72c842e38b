"""Machine formats for diagnostics: SARIF 2.1.0 (code-scanning tools) and GitHub Actions annotations.

Both render the same `Diagnostic` objects `llv lint` prints as text: nothing here checks anything.
Columns are 1-based and count Unicode code points, end exclusive (as in `Span`), which is exactly
SARIF's `unicodeCodePoints` column kind and its exclusive `endColumn`.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Iterable

from ..codes import CODES, Code
from ..diagnostics import (
    ERROR,
    NOTE,
    WARNING,
    Diagnostic,
    Span,
    json_text,
    printable,
    sort_key,
)

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
TOOL_NAME = "llv"

_SARIF_LEVEL = {ERROR: "error", WARNING: "warning", NOTE: "note"}
_GITHUB_LEVEL = {ERROR: "error", WARNING: "warning", NOTE: "notice"}


def tool_version() -> str:
    """The installed llv's version ("0" when running from a source tree)."""
    try:
        from importlib.metadata import version

        return version("longlive-dsl")
    except Exception:  # not installed (running from a source tree)
        return "0"


def artifact_uri(file: str) -> str:
    """A file name as a SARIF artifact URI: relative paths stay relative (with `/`), absolute ones become file: URIs."""
    if os.path.isabs(file):
        from pathlib import Path

        return Path(file).as_uri()
    return urllib.parse.quote(file.replace(os.sep, "/"), safe="/._-~")


def _rule(code: Code) -> dict:
    help_text = code.explanation
    markdown = code.explanation
    if code.example:
        help_text += "\n\nExample:\n\n" + "\n".join("    " + line for line in code.example.splitlines())
        markdown += "\n\nExample:\n\n```\n" + code.example + "\n```"
    help_text += f"\n\nRun `llv explain {code.code}` for more."
    markdown += f"\n\nRun `llv explain {code.code}` for more."
    return {
        "id": code.code,
        "name": "".join(w.capitalize() for w in code.title.replace("-", " ").split()),
        "shortDescription": {"text": code.title},
        "fullDescription": {"text": code.explanation},
        "help": {"text": help_text, "markdown": markdown},
        "defaultConfiguration": {"level": _SARIF_LEVEL[code.severity]},
        "properties": {"tags": [code.severity]},
    }


def message_text(d: Diagnostic, related: bool = False) -> str:
    """A diagnostic as one message: its text (label in brackets), then `note:` and `help:` lines.

    Each part has its control characters escaped (`\\x1b`), so nothing from the source reaches a
    terminal, a log viewer or an editor raw; the only line breaks are the ones between parts.
    """
    lines = [printable(d.message)]
    if d.label:
        lines[0] += f" ({printable(d.label)})"
    if d.variant is not None:
        lines.append(f'in variant "{printable(d.variant)}"')
    lines += [f"note: {printable(n)}" for n in d.notes]
    if related:  # for formats without related locations of their own
        lines += [f"related {r.span.line}:{r.span.column}: {printable(r.message)}" for r in d.related]
    if d.help:
        lines.append(f"help: {printable(d.help)}")
    return "\n".join(lines)


def _region(s: Span) -> dict:
    """A SARIF region for a span (an empty span is an insertion point: its end is its start)."""
    if s.start == s.end:
        return {"startLine": max(1, s.line), "startColumn": max(1, s.column), "endLine": max(1, s.line),
                "endColumn": max(1, s.column), "charOffset": max(0, s.start), "charLength": 0}
    region = {
        "startLine": max(1, s.line),
        "startColumn": max(1, s.column),
        "endLine": max(1, s.end_line),
        "endColumn": max(1, s.end_column),
        "charOffset": max(0, s.start),
        "charLength": max(0, s.end - s.start),
    }
    if (region["endLine"], region["endColumn"]) < (region["startLine"], region["startColumn"]):
        region["endLine"], region["endColumn"] = region["startLine"], region["startColumn"]
    return region


def related_locations(d: Diagnostic, uri: str, index: int) -> list[dict]:
    """SARIF relatedLocations: the diagnostic's secondary labelled spans."""
    return [{
        "id": i,
        "physicalLocation": {"artifactLocation": {"uri": uri, "index": index}, "region": _region(r.span)},
        "message": {"text": printable(r.message)},
    } for i, r in enumerate(d.related)]


def sarif_fixes(d: Diagnostic, uri: str, index: int) -> list[dict]:
    """SARIF fixes: each machine-applicable suggestion as replacements in the diagnostic's file."""
    return [{
        "description": {"text": printable(f.message)},
        "artifactChanges": [{
            "artifactLocation": {"uri": uri, "index": index},
            "replacements": [{"deletedRegion": _region(e.span), "insertedContent": {"text": e.text}}
                             for e in f.edits],
        }],
    } for f in d.fixes]


def to_sarif(diagnostics: Iterable[Diagnostic], sources: dict[str, str] | None = None) -> dict:
    """One SARIF 2.1.0 log with one run of llv: every rule llv knows, and one result per diagnostic.

    `sources` (file -> text, optional) adds each file to the run's artifacts with its length.
    """
    diagnostics = sorted(diagnostics, key=sort_key)
    codes = list(CODES.values())
    index = {c.code: i for i, c in enumerate(codes)}
    rules = [_rule(c) for c in codes]
    files = {name: i for i, name in enumerate(dict.fromkeys([*(sources or {}), *(d.file for d in diagnostics)]))}
    artifacts = []
    for name in files:
        artifact: dict = {"location": {"uri": artifact_uri(name)}, "sourceLanguage": "llv"}
        if sources and name in sources:
            artifact["length"] = len(sources[name].encode("utf-8"))
        artifacts.append(artifact)
    results = []
    for d in diagnostics:
        region = _region(d.span)
        uri = artifact_uri(d.file)
        result: dict = {
            "ruleId": d.code,
            "level": _SARIF_LEVEL.get(d.severity, "note"),
            "message": {"text": message_text(d)},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": artifact_uri(d.file), "index": files[d.file]},
                    "region": region,
                },
            }],
        }
        if d.code in index:
            result["ruleIndex"] = index[d.code]
        if d.related:
            result["relatedLocations"] = related_locations(d, uri, files[d.file])
        if d.fixes:
            result["fixes"] = sarif_fixes(d, uri, files[d.file])
        if d.help:
            result["properties"] = {"help": printable(d.help)}
        if d.variant is not None:
            result.setdefault("properties", {})["variant"] = printable(d.variant)
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {
                "name": TOOL_NAME,
                "fullName": "llv, the LongLive-2.0 storyboard language",
                "version": tool_version(),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "artifacts": artifacts,
            "results": results,
        }],
    }


def render_sarif(diagnostics: Iterable[Diagnostic], sources: dict[str, str] | None = None) -> str:
    """The SARIF log as indented JSON text."""
    return json_text(to_sarif(diagnostics, sources))


# ---- GitHub Actions workflow commands ---------------------------------------------------------

def escape_data(text: str) -> str:
    """Escape a workflow command's message: `%`, CR and LF (as the Actions runner decodes them)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command property value: the message escapes plus `:` and `,`."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(d: Diagnostic) -> str:
    """`::error file=…,line=…,col=…,endLine=…,endColumn=…,title=CODE::message` for one diagnostic."""
    s = d.span
    props = [
        ("file", printable(d.file)),
        ("line", str(max(1, s.line))),
        ("col", str(max(1, s.column))),
        ("endLine", str(max(1, s.end_line))),
        ("endColumn", str(max(1, s.end_column))),
        ("title", d.code),
    ]
    head = ",".join(f"{k}={escape_property(v)}" for k, v in props)
    return f"::{_GITHUB_LEVEL.get(d.severity, 'notice')} {head}::{escape_data(message_text(d, related=True))}"


def render_github(diagnostics: Iterable[Diagnostic]) -> str:
    """One annotation line per diagnostic (empty text when there are none)."""
    return "\n".join(github_annotation(d) for d in sorted(diagnostics, key=sort_key))
