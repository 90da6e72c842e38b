"""The display: plain lines when not on a terminal, a live panel on one."""

import io

from longlive_dsl.runtime import Status
from longlive_dsl.runtime.display import PlainDisplay, RichDisplay, make_display
from longlive_dsl.runtime.session import Progress


class FakeTty(io.StringIO):
    def isatty(self):
        return True


def test_not_a_terminal_gets_plain_lines():
    assert isinstance(make_display(io.StringIO()), PlainDisplay)


def test_a_terminal_gets_the_live_panel():
    d = make_display(FakeTty())
    try:
        assert isinstance(d, RichDisplay)
    finally:
        d.close()


def test_plain_lines_show_state_scene_chunk_and_prompt():
    out = io.StringIO()
    d = PlainDisplay(out)
    d.status(Status.READY, "session 0")
    d.progress(Progress(chunks_done=7, chunk_in_scene=2, scene_number=2, scene_name="Pan", prompt="oil spits", stops_at=20, frames=203))
    d.problem("error[run]: refused")
    text = out.getvalue()
    assert "[ready] session 0" in text
    assert "chunk 7/20 · scene 2 “Pan” chunk 2/48 · 203 frames · oil spits" in text
    assert "error[run]: refused" in text


def test_the_live_panel_renders_progress_and_errors():
    out = FakeTty()
    d = RichDisplay(out, "story.llv")
    d.status(Status.READY, "session 0")
    d.progress(Progress(chunks_done=7, chunk_in_scene=2, scene_number=2, scene_name="Pan", prompt="oil spits", stops_at=20))
    d.problem("error[run]: refused")
    d.close()
    text = out.getvalue()
    assert "oil spits" in text and "chunk 7/20" in text and "error[run]: refused" in text
