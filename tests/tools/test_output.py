"""Results are written whole or not at all, and never over something that is not a regular file: a
rename over /dev/full, a FIFO or a socket would destroy it (as root, a device node)."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys

import pytest

from longlive_dsl.output import replacing, write_text

STORY = 'scene "A"\n  shot "A red fox trots across a frosted meadow at sunrise, warm light, 35mm lens"\n'


def special_files(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    sock_path = tmp_path / "sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    folder = tmp_path / "folder"
    folder.mkdir()
    return {"a FIFO": fifo, "a socket": sock_path, "a folder": folder}, sock


def test_a_target_that_is_not_a_regular_file_is_refused_and_left_as_it_was(tmp_path):
    targets, sock = special_files(tmp_path)
    try:
        for kind, path in targets.items():
            before = os.lstat(path)
            with pytest.raises(OSError, match=f"it is {kind}, not a regular file"):
                write_text(str(path), "text")
            assert os.lstat(path).st_mode == before.st_mode and os.lstat(path).st_ino == before.st_ino
        assert sorted(os.listdir(tmp_path)) == ["fifo", "folder", "sock"], "no temporary file left"
    finally:
        sock.close()


def test_a_link_to_a_special_file_is_refused_too(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "link").symlink_to(tmp_path / "fifo")
    with pytest.raises(OSError, match="FIFO"):
        write_text(str(tmp_path / "link"), "text")
    assert stat.S_ISFIFO(os.stat(tmp_path / "fifo").st_mode) and (tmp_path / "link").is_symlink()


def test_a_link_to_a_file_keeps_the_link_and_rewrites_its_target(tmp_path):
    (tmp_path / "real.llv").write_text("old")
    (tmp_path / "link.llv").symlink_to("real.llv")
    write_text(str(tmp_path / "link.llv"), "new")
    assert (tmp_path / "link.llv").is_symlink() and (tmp_path / "real.llv").read_text() == "new"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), replacing(str(target)) as tmp:
        with open(tmp, "w") as f:
            f.write("half")
        raise RuntimeError("the encoder failed")
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["out.json"]


def test_a_new_file_gets_the_usual_mode_and_an_old_one_keeps_its_own(tmp_path):
    old = os.umask(0o022)
    try:
        write_text(str(tmp_path / "new.llv"), "x")
        (tmp_path / "old.llv").write_text("x")
        os.chmod(tmp_path / "old.llv", 0o600)
        write_text(str(tmp_path / "old.llv"), "y")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "new.llv").st_mode) == 0o644
    assert stat.S_IMODE(os.stat(tmp_path / "old.llv").st_mode) == 0o600


@pytest.mark.parametrize("command", [["compile", "story.llv", "-o"], ["compile", "story.llv", "--json", "-o"],
                                     ["preview", "story.llv", "-o"], ["timeline", "story.llv", "-o"],
                                     ["new", "--preset", "chase", "--force"]])
def test_commands_refuse_to_write_over_a_fifo(tmp_path, command):
    (tmp_path / "story.llv").write_text(STORY)
    target = {"new": "out.llv", "preview": "out.mp4", "timeline": "out.svg"}.get(command[0], "out.json")
    os.mkfifo(tmp_path / target)
    args = [*command, target] if command[0] != "new" else ["new", "out", *command[1:]]
    done = subprocess.run([sys.executable, "-m", "longlive_dsl.cli", *args], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "it is a FIFO, not a regular file" in done.stderr, done.stderr
    assert stat.S_ISFIFO(os.lstat(tmp_path / target).st_mode)
    assert "Traceback" not in done.stderr


TRACE = '{"t": 0.0, "mono": 1.0, "kind": "run", "file": "story.llv", "mode": "simulator", "clock": "measured"}\n'


@pytest.mark.parametrize(("args", "said"), [
    (["run", "story.llv", "--trace", "story.llv"], "--trace would write over story.llv"),
    (["run", "story.llv@calm", "--video", "story.llv"], "--video would write over story.llv"),
    (["run", "story.llv", "--trace", "out", "--video", "out"], "--video and --trace name the same file, out"),
    (["direct", "story.llv", "--take", "story.llv"], "--take would write over story.llv"),
    (["compile", "story.llv", "-o", "story.llv"], "-o would write over story.llv"),
    (["compile", "story.llv", "-o", "linked.llv"], "-o would write over story.llv"),
    (["preview", "story.llv", "-o", "story.llv"], "-o would write over story.llv"),
    (["take", "run.jsonl", "-o", "run.jsonl"], "-o would write over run.jsonl"),
    (["timeline", "story.llv", "--trace", "run.jsonl", "-o", "run.jsonl"], "-o would write over run.jsonl"),
])
def test_an_output_never_replaces_a_file_the_command_reads(tmp_path, args, said):
    """`llv run story.llv --trace story.llv` would have replaced the storyboard with its trace."""
    (tmp_path / "story.llv").write_text(STORY)
    (tmp_path / "linked.llv").symlink_to("story.llv")
    (tmp_path / "run.jsonl").write_text(TRACE)
    done = subprocess.run([sys.executable, "-m", "longlive_dsl.cli", *args], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 2, done.stderr
    assert f"error: {said}" in done.stderr and "name another file" in done.stderr
    assert (tmp_path / "story.llv").read_text() == STORY and (tmp_path / "run.jsonl").read_text() == TRACE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["linked.llv", "run.jsonl", "story.llv"]


def test_only_the_files_a_command_reads_count_as_inputs(tmp_path, monkeypatch):
    """A title that happens to name the output is text, not a file the command reads."""
    import argparse

    from longlive_dsl.commands.files import output_clash

    monkeypatch.chdir(tmp_path)
    (tmp_path / "out.llv").write_text("old")
    assert output_clash("import", argparse.Namespace(file="in.json", title="out.llv", output="out.llv")) is None
    assert output_clash("import", argparse.Namespace(file="out.llv", title=None, output="out.llv")) is not None
