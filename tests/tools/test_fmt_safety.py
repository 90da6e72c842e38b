"""`llv fmt` is safe to run on anything: --check agrees with it byte for byte, links are kept, and it
checks its own output (same meaning, stable) before writing, refusing to write otherwise (as black does)."""

from __future__ import annotations

import io
import os
import sys

import pytest

from longlive_dsl.cli import EXIT_FINDINGS, EXIT_INTERNAL, EXIT_OK, main
from longlive_dsl.tools import fmt
from longlive_dsl.tools.fmt import UnsafeFormat, format_source

from .test_fmt import CANONICAL, MESSY

STORED_FORMS = {
    "crlf": CANONICAL.replace("\n", "\r\n").encode(),
    "cr": CANONICAL.replace("\n", "\r").encode(),
    "bom": b"\xef\xbb\xbf" + CANONICAL.encode(),
    "bom+crlf": b"\xef\xbb\xbf" + CANONICAL.replace("\n", "\r\n").encode(),
    "messy+crlf": MESSY.replace("\n", "\r\n").encode(),
    "canonical": CANONICAL.encode(),
}


@pytest.mark.parametrize("form", STORED_FORMS)
def test_check_fails_exactly_when_fmt_would_rewrite(form, tmp_path, capsys):
    path = tmp_path / "a.llv"
    path.write_bytes(STORED_FORMS[form])
    checked = main(["fmt", "--check", str(path)])
    assert path.read_bytes() == STORED_FORMS[form]  # --check changes nothing
    assert main(["fmt", str(path)]) == EXIT_OK
    rewritten = path.read_bytes() != STORED_FORMS[form]
    assert path.read_bytes() == CANONICAL.encode()
    assert checked == (EXIT_FINDINGS if rewritten else EXIT_OK)
    assert main(["fmt", "--check", str(path)]) == EXIT_OK  # and after fmt, --check is content


def test_check_says_what_a_line_diff_cannot_show(tmp_path, capsys):
    path = tmp_path / "a.llv"
    path.write_bytes(STORED_FORMS["bom+crlf"])
    assert main(["fmt", "--check", str(path)]) == EXIT_FINDINGS
    err = capsys.readouterr().err
    assert "byte-order mark" in err and "\\r\\n" in err


def test_stdin_check_agrees_with_stdin_formatting(monkeypatch, capsys):
    def feed(data: bytes) -> None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))

    feed(STORED_FORMS["crlf"])
    assert main(["fmt", "--check", "-"]) == EXIT_FINDINGS
    feed(STORED_FORMS["crlf"])
    assert main(["fmt", "-"]) == EXIT_OK
    assert capsys.readouterr().out.endswith(CANONICAL)


def test_formatting_through_a_symlink_rewrites_the_target_and_keeps_the_link(tmp_path):
    target = tmp_path / "real" / "story.llv"
    target.parent.mkdir()
    target.write_text(MESSY, encoding="utf-8")
    link = tmp_path / "story.llv"
    link.symlink_to(os.path.relpath(target, tmp_path))
    assert main(["fmt", str(link)]) == EXIT_OK
    assert link.is_symlink() and os.readlink(link) == os.path.relpath(target, tmp_path)
    assert target.read_text(encoding="utf-8") == CANONICAL
    assert sorted(p.name for p in target.parent.iterdir()) == ["story.llv"]  # no temporary file left


def test_a_chain_of_symlinks_is_followed_to_the_file(tmp_path):
    target = tmp_path / "story.llv"
    target.write_text(MESSY, encoding="utf-8")
    (tmp_path / "one.llv").symlink_to(target)
    (tmp_path / "two.llv").symlink_to(tmp_path / "one.llv")
    assert main(["fmt", str(tmp_path / "two.llv")]) == EXIT_OK
    assert (tmp_path / "two.llv").is_symlink() and (tmp_path / "one.llv").is_symlink()
    assert target.read_text(encoding="utf-8") == CANONICAL


# ---- the self-check ---------------------------------------------------------------------------------


def _drop_timings(timings):
    return []


def test_output_that_changes_the_meaning_is_refused(monkeypatch):
    monkeypatch.setattr(fmt, "_timings", _drop_timings)
    with pytest.raises(UnsafeFormat, match="mean something else"):
        format_source(MESSY)


def test_output_that_is_not_stable_is_refused(monkeypatch):
    real = fmt.format_document
    calls = {"n": 0}

    def drifting(doc):
        calls["n"] += 1
        return real(doc) + "\n" * calls["n"]  # one more blank line on every pass

    monkeypatch.setattr(fmt, "format_document", drifting)
    with pytest.raises(UnsafeFormat, match="not stable"):
        format_source(MESSY)


def test_output_that_loses_a_comment_is_refused(monkeypatch):
    monkeypatch.setattr(fmt, "_comment_text", lambda comment: "")
    with pytest.raises(UnsafeFormat, match="comment"):
        format_source(MESSY)


def test_output_that_does_not_parse_is_refused(monkeypatch):
    monkeypatch.setattr(fmt, "_timings", lambda timings: ["at"] if timings else [])
    with pytest.raises(UnsafeFormat, match="does not parse"):
        format_source(MESSY)


def test_output_that_changes_the_wire_is_refused_also_through_included_defines(monkeypatch, tmp_path):
    """The prompt uses a define from an included file; a formatter that rewrote a word in it (and a
    meaning check blind to it) must still be caught: the wire is compiled with the includes read."""
    (tmp_path / "lib.llv").write_text('define hero = "a red fox"\n', encoding="utf-8")
    story = 'include "lib.llv"\nscene "A"\n  shot   "{hero} trots across the snow"\n'
    real = fmt._string
    monkeypatch.setattr(fmt, "_string", lambda source, text, indent: real(source, text, indent).replace("trots", "runs"))
    monkeypatch.setattr(fmt, "meaning", lambda doc: [])
    with pytest.raises(UnsafeFormat, match="different wire commands"):
        format_source(story, str(tmp_path / "story.llv"))


def test_the_command_leaves_the_file_when_the_self_check_fails(monkeypatch, tmp_path, capsys):
    path = tmp_path / "a.llv"
    path.write_text(MESSY, encoding="utf-8")
    monkeypatch.setattr(fmt, "_timings", _drop_timings)
    assert main(["fmt", str(path)]) == EXIT_INTERNAL
    assert path.read_text(encoding="utf-8") == MESSY
    err = capsys.readouterr().err
    assert "not formatted" in err and "left as it was" in err and "Traceback" not in err
