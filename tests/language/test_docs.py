"""The generated reference pages stay in step with the code."""

from pathlib import Path

from longlive_dsl.codes import CODES, markdown

DOCS = Path(__file__).parents[2] / "docs"


def test_codes_page_is_generated_from_the_code_table():
    assert (DOCS / "codes.md").read_text(encoding="utf-8") == markdown(), \
        "regenerate: python -m longlive_dsl.codes > docs/codes.md"


def test_language_reference_mentions_every_code():
    text = (DOCS / "language.md").read_text(encoding="utf-8")
    missing = [code for code in CODES if code not in text]
    assert not missing, missing
