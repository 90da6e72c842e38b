"""Syntax errors: found in one pass over the file, each on the statement it breaks, keywords spelt out."""

import threading

import pytest
from hypothesis import HealthCheck, given, settings

from longlive_dsl import check, parse
from longlive_dsl.syntax import parser as syntax_parser
from longlive_dsl.syntax.errors import MAX_SYNTAX_ERRORS

from .helpers import P
from .storyboards import broken_storyboards, misspelt_keywords


def syntax_errors(source):
    return [d for d in parse(source, "t.llv")[1]]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(broken_storyboards())
def test_each_broken_statement_gets_one_error_on_its_own_line(case):
    source, broken_at = case
    found = syntax_errors(source)
    assert [d.span.line for d in found] == broken_at, [(d.code, d.span.line, d.message) for d in found]


def test_error_recovery_reads_the_file_once(monkeypatch):
    lark = syntax_parser.lark_parser()
    calls = []
    original = type(lark).parse_interactive
    monkeypatch.setattr(type(lark), "parse_interactive",
                        lambda self, *a, **k: calls.append(1) or original(self, *a, **k))
    source = "".join(f'scene "S{i}"\n  shto "x"\n  shot for {P}\n' for i in range(5))
    assert len(syntax_errors(source)) == 10
    assert len(calls) == 1


def test_reporting_stops_after_the_limit_with_one_note_saying_so():
    found = syntax_errors('shto "x"\n' * (MAX_SYNTAX_ERRORS * 5))
    assert len(found) == MAX_SYNTAX_ERRORS + 1
    assert found[-1].code == "E105"


@pytest.mark.parametrize("source, word, keyword", [
    (f'scene "A"\n  shots {P}\n', "shots", "shot"),
    (f'scenes "A"\n  shot {P}\n', "scenes", "scene"),
    (f'scene "A"\n  shotgun {P}\n', "shotgun", "shot"),
    (f'scene "A"\n  shot atlas 5 {P}\n', "atlas", "at"),
    (f'scene "A" format 5\n  shot {P}\n', "format", "for"),
])
def test_a_keyword_run_into_letters_is_one_unknown_word(source, word, keyword):
    found = syntax_errors(source)
    assert len(found) == 1
    d = found[0]
    assert (d.code, d.message, d.help) == ("E103", f"unknown keyword `{word}`", f"did you mean `{keyword}`?")
    assert d.span.end - d.span.start == len(word)


@settings(max_examples=100, deadline=None)
@given(misspelt_keywords())
def test_misspelt_keywords_are_never_split(case):
    word, keyword = case
    if keyword in ("scene", "shot"):
        source = f'scene "A" for 10\n  {word} {P}\n'
    else:
        source = f'scene "A" {word} 10\n  shot {P}\n'
    found = syntax_errors(source)
    assert found and found[0].code in ("E103", "E101")
    assert found[0].span.start == source.index(word)


def test_a_keyword_followed_by_a_digit_still_reads_as_before():
    assert parse(f'scene "A" for5\n  shot {P}\n', "t.llv")[1] == []


def test_words_close_to_keywords_at_the_start_of_a_line_resume_the_parse():
    found = syntax_errors(f'scene "A"\n  shto {P}\n  shto {P}\n  shto {P}\n')
    assert [(d.code, d.span.line) for d in found] == [("E103", 2), ("E103", 3), ("E103", 4)]


def test_two_threads_parsing_at_once_keep_their_own_comments():
    sources = {
        name: "".join(f'# {name} {i}\nscene "S{i}"  # {name} scene\n  shot {P}  # {name} shot\n' for i in range(200))
        for name in ("left", "right")
    }
    wrong = []

    def work(name):
        for _ in range(20):
            doc, _ = parse(sources[name], name)
            if len(doc.comments) != 600 or any(name not in c.text for c in doc.comments):
                wrong.append(name)

    threads = [threading.Thread(target=work, args=(name,)) for name in sources]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []


def test_comments_are_found_outside_strings_only():
    doc, _ = parse('title "a # not" # yes\ndefine x = """\n# not either\n""" # and this\n', "t.llv")
    assert [c.text for c in doc.comments] == ["# yes", "# and this"]
    assert [(c.span.line, c.span.column) for c in doc.comments] == [(1, 17), (4, 5)]


def test_a_syntax_error_never_stops_later_statements_from_being_checked_for_syntax():
    _, found = check(f'scene "A" @\nscene "B"\n  shot for {P}\n', "t.llv")
    assert [(d.code, d.span.line) for d in found] == [("E104", 1), ("E101", 3)]
