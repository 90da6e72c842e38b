"""Times and numbers: every form in the spec is read exactly, or refused with a located error."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from longlive_dsl import check
from longlive_dsl.timeline import MAX_CHUNKS, NumberError, parse_seed, parse_time

from .helpers import P, find
from .storyboards import foreign_digit_times, huge_times, negative_times, written_times

MANY = settings(max_examples=300, deadline=None)


def at_source(time: str) -> str:
    return f'scene "A"\n  shot for 1 {P}\n  shot at {time} {P}\n'


def errors_of(source):
    return [d for d in check(source, "t.llv")[1] if d.is_error]


@MANY
@given(written_times())
def test_every_written_form_reads_exactly(case):
    text, value = case
    read = parse_time(text)
    assert read == value and type(read) is (int if isinstance(value, int) else Fraction)


@pytest.mark.parametrize("text, seconds", [("1:02:05", 3725), ("0:00:29", 29), ("10:00:00", 36000),
                                           ("1:02:05.5", Fraction(7451, 2)), ("+1:05", 65)])
def test_hours_minutes_seconds_are_a_time(text, seconds):
    assert parse_time(text) == seconds


@MANY
@given(negative_times())
def test_a_negative_time_of_any_size_is_refused_where_it_is_written(text):
    source = at_source(text)
    found = errors_of(source)
    assert [d.code for d in found] == ["E302"]
    assert (found[0].span.line, found[0].span.column) == (3, 11)
    assert len(found[0].message) < 80, "a huge value is cut short in the message"


@pytest.mark.parametrize("text", ["-0.1s", "-0.001s", "-0:00.5", "-1"])
def test_a_negative_time_that_rounds_to_zero_is_still_negative(text):
    assert [d.code for d in errors_of(at_source(text))] == ["E302"]


def test_minus_zero_is_zero():
    assert parse_time("-0") == 0


@MANY
@given(foreign_digit_times())
def test_digits_of_other_scripts_are_refused_with_the_0_to_9_spelling_as_help(case):
    foreign, plain = case
    with pytest.raises(NumberError) as refused:
        parse_time(foreign)
    assert refused.value.code == "E301"
    assert refused.value.help == f"write `{plain}`"
    parse_time(plain)  # the help itself is a valid time


def test_foreign_digits_are_located_at_the_time():
    d = find(at_source("٣"), "E301")
    assert (d.span.line, d.span.column) == (3, 11) and d.help == "write `3`"


@MANY
@given(huge_times)
def test_a_time_past_the_largest_is_refused_not_planned(text):
    found = errors_of(f'scene "A"\n  shot {P}\nend at {text}\n')
    assert [d.code for d in found] == ["E306"]
    assert (found[0].span.line, found[0].span.column) == (3, 8)


def test_the_largest_time_is_accepted():
    assert parse_time(str(MAX_CHUNKS)) == MAX_CHUNKS


@pytest.mark.parametrize("text, words", [
    ("1:2:05", "two digits below 60"), ("1:75", "two digits below 60"), ("1:00:00:00", "too many"),
    ("1:05s", "mixes"), ("1.5:05", "mixes"), ("2.5", "not a whole number of chunks"),
    ("0.0000000001s", "decimal places"),
])
def test_malformed_times_say_what_is_wrong(text, words):
    d = find(at_source(text), "E301")
    assert words in d.message


def test_a_length_in_seconds_shorter_than_half_a_chunk_is_no_length_and_no_note():
    found = check(f'scene "A"\n  shot for 0.3s {P}\n', "t.llv")[1]
    assert [d.code for d in found] == ["E303"]
    assert "`for 1`" in found[0].help


def test_a_position_in_seconds_near_zero_rounds_to_chunk_zero_with_a_note():
    found = check(f'scene "A" at 0.3s\n  shot {P}\n', "t.llv")[1]
    assert [d.code for d in found] == ["N701"]


@pytest.mark.parametrize("text, value", [("42", 42), ("+7", 7), ("-2147483648", -2147483648), ("007", 7)])
def test_seeds_read_exactly(text, value):
    assert parse_seed(text) == value


@given(st.one_of(st.integers(2**31, 10**30).map(str), st.integers(11, 7000).map(lambda n: "9" * n),
                 st.integers(11, 7000).map(lambda n: "-" + "9" * n)))
@settings(max_examples=100, deadline=None)
def test_seeds_out_of_range_of_any_size_are_refused(text):
    d = find(f'seed {text}\nscene "A"\n  shot {P}\n', "E304")
    assert (d.span.line, d.span.column) == (1, 6)


def test_a_seed_in_other_digits_is_refused_with_the_0_to_9_spelling():
    d = find(f'seed ٤٢\nscene "A"\n  shot {P}\n', "E304")
    assert d.help == "write `seed 42`"
