"""`variant` blocks: one opening, several continuations, each checked and compiled on its own."""

import json

from longlive_dsl import analyse, compile_variants
from longlive_dsl.diagnostics import render_json, render_text
from longlive_dsl.tools.fmt import format_source
from longlive_dsl.tools.formats import render_sarif

from .helpers import P
from .test_cli import llv

BRANCHING = f"""title "Harbour"
define look = "soft grain"
scene "Opening" for 6
  shot {P}

variant "storm"
scene "Storm" for 10
  shot {P}
  shot at 10 {P}

variant "calm"
scene "Calm" for 8
  shot {P}
"""


def test_each_variant_is_the_opening_followed_by_its_own_statements():
    result = analyse(BRANCHING, "h.llv")
    assert [tl.variant for tl in result.variants] == ["storm", "calm"]
    assert [[s.name for s in tl.scenes] for tl in result.variants] == [["Opening", "Storm"], ["Opening", "Calm"]]
    assert result.timeline is result.variants[0]


def test_a_file_without_variants_has_one_unnamed_timeline():
    result = analyse(f'scene "A"\n  shot {P}\n', "a.llv")
    assert [tl.variant for tl in result.variants] == [None]


def test_every_variant_compiles_to_its_own_program_named_file_at_variant():
    programs, diags = compile_variants(BRANCHING, "h.llv")
    assert [p.source for p in programs] == ["h.llv@storm", "h.llv@calm"]
    assert [p.stops_at for p in programs] == [16, 14]
    assert [len(p.commands) for p in programs] == [4, 3]


def test_a_finding_in_one_variant_names_that_variant():
    text = BRANCHING.replace('scene "Calm" for 8\n  shot', 'scene "Calm" for 8\n  shot at 3')
    diags = [d for d in analyse(text, "h.llv").diagnostics if d.is_error]
    assert [(d.code, d.variant) for d in diags] == [("E502", "calm")]
    assert '(in variant "calm")' in render_text(diags[0], text)
    assert json.loads(render_json(diags))[0]["variant"] == "calm"
    sarif = json.loads(render_sarif(diags, {"h.llv": text}))
    assert sarif["runs"][0]["results"][0]["properties"]["variant"] == "calm"


def test_a_finding_shared_by_every_variant_is_reported_once_without_a_variant():
    text = BRANCHING.replace(f'scene "Opening" for 6\n  shot {P}', 'scene "Opening" for 6\n  shot "a cat"')
    terse = [d for d in analyse(text, "h.llv").diagnostics if d.code == "W601"]
    assert [(d.span.line, d.variant) for d in terse] == [(4, None)]


def test_any_error_in_any_variant_compiles_nothing():
    text = BRANCHING.replace("shot at 10", "shot at 99")
    programs, diags = compile_variants(text, "h.llv")
    assert programs == [] and any(d.is_error and d.variant == "storm" for d in diags)


def test_a_variant_before_any_scene_is_refused_where_it_is():
    d = next(d for d in analyse(f'variant "a"\nscene "A"\n  shot {P}\n', "v.llv").diagnostics if d.code == "E207")
    assert (d.span.line, d.span.column) == (1, 1)


def test_two_variants_of_one_name_are_refused_pointing_at_the_first():
    text = BRANCHING.replace('variant "calm"', 'variant "storm"')
    d = next(d for d in analyse(text, "h.llv").diagnostics if d.code == "E208")
    assert d.span.line == 11 and d.related[0].span.line == 6


def test_a_variant_name_that_cannot_name_a_file_is_refused():
    text = BRANCHING.replace('variant "calm"', 'variant "calm/../x"')
    assert any(d.code == "E209" for d in analyse(text, "h.llv").diagnostics)


def test_a_header_inside_a_variant_is_a_header_after_the_first_scene():
    text = BRANCHING.replace('variant "calm"\n', 'variant "calm"\nseed 3\n')
    assert any(d.code == "E201" and d.variant == "calm" for d in analyse(text, "h.llv").diagnostics)


def test_fmt_keeps_a_variant_line_next_to_its_first_statement_and_is_stable():
    messy = BRANCHING.replace('variant "storm"', 'variant   "storm"')
    formatted = format_source(messy, "h.llv")
    assert 'variant "storm"\nscene "Storm" for 10' in formatted
    assert format_source(formatted, "h.llv") == formatted


def test_compile_prints_each_variant_after_its_name(tmp_path):
    path = tmp_path / "h.llv"
    path.write_text(BRANCHING)
    proc = llv("compile", path)
    assert proc.returncode == 0, proc.stderr
    heads = [line for line in proc.stdout.splitlines() if line.startswith("#")]
    assert heads == [f"# {path}@storm", f"# {path}@calm"]


def test_compile_with_an_output_folder_writes_one_program_per_variant(tmp_path):
    path = tmp_path / "h.llv"
    path.write_text(BRANCHING)
    proc = llv("compile", path, "--json", "-o", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["h@calm.json", "h@storm.json"]
    assert json.loads((tmp_path / "out" / "h@calm.json").read_text())["source"] == f"{path}@calm"


def test_plan_shows_the_variants_side_by_side(tmp_path):
    path = tmp_path / "h.llv"
    path.write_text(BRANCHING)
    proc = llv("plan", path)
    assert proc.returncode == 0, proc.stderr
    header = next(line for line in proc.stdout.splitlines() if "storm" in line)
    assert "calm" in header
    assert "Storm" in proc.stdout and "Calm" in proc.stdout


def test_a_command_playing_one_program_asks_which_variant(tmp_path):
    path = tmp_path / "h.llv"
    path.write_text(BRANCHING)
    proc = llv("verify", tmp_path / "none.jsonl", path)
    assert proc.returncode == 2 and "has 2 variants (storm, calm)" in proc.stderr and f"{path}@storm" in proc.stderr


def test_file_at_variant_names_one_variant_and_an_unknown_one_is_refused(tmp_path):
    path = tmp_path / "h.llv"
    path.write_text(BRANCHING)
    proc = llv("verify", tmp_path / "none.jsonl", f"{path}@calm")
    assert proc.returncode == 2 and "cannot read the trace" in proc.stderr  # the program was found
    proc = llv("verify", tmp_path / "none.jsonl", f"{path}@dawn")
    assert proc.returncode == 2 and "no variant `dawn`; its variants: storm, calm" in proc.stderr


def test_the_language_server_completes_the_new_keywords():
    from longlive_dsl.tools.lsp import KEYWORDS

    assert {"variant", "include"} <= set(KEYWORDS)


def test_fmt_writes_an_include_as_a_header():
    text = f'include   "lib/cast.llv"\nscene "A"\n  shot {P}\n'
    assert format_source(text, "h.llv", verify=False).startswith('include "lib/cast.llv"\n')
