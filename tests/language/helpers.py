"""Shared helpers for the language tests."""

from longlive_dsl import check, compile

# A prompt long enough not to be terse (22 words), so tests see only the finding they are about.
P = ('"A red fox trots across a frosted meadow at sunrise, breath steaming, '
     'a low tracking shot at 50mm with golden backlight and soft mist"')


def codes(source: str) -> list[str]:
    """The codes of every diagnostic for `source`."""
    return [d.code for d in check(source, "t.llv")[1]]


def find(source: str, code: str):
    """The first diagnostic with `code` (AssertionError listing what was found when there is none)."""
    diags = check(source, "t.llv")[1]
    for d in diags:
        if d.code == code:
            return d
    raise AssertionError(f"no {code} in {[(d.code, d.message) for d in diags]}")


def wire(source: str) -> list[dict]:
    """The compiled commands as plain dicts (the Program must compile)."""
    program, diags = compile(source, "t.llv")
    assert program is not None, [(d.code, d.message) for d in diags if d.is_error]
    return [c.model_dump(mode="json") for c in program.commands]
