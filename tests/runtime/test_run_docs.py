"""docs/run.md stays true: every exit code and every deadline option of `llv run` is documented."""

import argparse
import re
from pathlib import Path

import pytest

from longlive_dsl.commands import run as run_command
from longlive_dsl.runtime import Failure

DOC = (Path(__file__).resolve().parents[2] / "docs" / "run.md").read_text()


@pytest.mark.parametrize("failure", list(Failure), ids=lambda f: f.name)
def test_every_exit_code_has_a_row_in_the_table(failure):
    assert re.search(rf"^\| {failure.value} \| ", DOC, re.M), f"exit {failure.value} ({failure.name}) is not in docs/run.md"


def option_names() -> list[str]:
    parser = argparse.ArgumentParser()
    run_command.configure("run", parser)
    return [o for a in parser._actions for o in a.option_strings if o.endswith("-timeout") or o == "--capacity-wait"]


@pytest.mark.parametrize("option", option_names())
def test_every_deadline_option_is_in_the_deadlines_table(option):
    table = DOC.split("## Deadlines and limits", 1)[1].split("\n## ", 1)[0]
    assert f"`{option}`" in table
