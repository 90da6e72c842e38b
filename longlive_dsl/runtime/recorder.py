"""Record every received frame to an H.264 MP4 at the model's frame rate.

Frames are numbered as they arrive (frame n is shown at n / fps), so a time-compressed run on the
simulator still yields a video at the model's real pace. Encoding runs on its own thread so the
event loop keeps up with the data channel. The MP4 is fragmented (a moov up front, a fragment per
second), so even a process killed outright leaves a playable file up to the last fragment; on
every ordinary path (end, error, Ctrl-C) `close()` flushes the encoder and finishes the file.

The recorder never blocks the caller: `add` queues at most `QUEUE_FRAMES` frames and counts the
ones it had to drop when the encoder falls behind. When the file cannot be written (a full disk,
a file-size limit) the encoder thread stops, keeps `error`, and calls `on_error` once with a
message, so the run can end at once; what was written before stays a playable MP4.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from .. import model

_STOP = object()
QUEUE_FRAMES = 120
"""Frames waiting for the encoder at most (5 s of video); more are dropped and counted."""
CLOSE_TIMEOUT = 15.0
"""Seconds `close` waits for the encoder to flush and finish the file."""


class Recorder:
    """An MP4 writer fed with `av.VideoFrame`s from any thread; thread-safe `add` and `close`."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        fps: int = model.FPS,
        *,
        preset: str = "veryfast",
        crf: int = 23,
        on_error: Callable[[str], None] | None = None,
    ):
        self.path = os.fspath(path)
        self.on_error = on_error
        self.fps = fps
        self.preset = preset
        self.crf = crf
        self.frames_written = 0
        self.frames_dropped = 0
        self.error: BaseException | None = None
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_FRAMES)
        self._closed = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._work, name="llv-recorder", daemon=True)
        self._thread.start()

    def add(self, frame: Any) -> None:
        """Queue one decoded frame; never blocks (a frame the encoder has no room for is dropped)."""
        if self._closed or self.error is not None:
            return
        try:
            self._queue.put_nowait(frame)
        except queue.Full:
            self.frames_dropped += 1

    def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Flush the encoder and finish the file; safe to call twice and from a signal path."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        deadline = time.monotonic() + timeout
        while self._thread.is_alive():  # the encoder may stop on an error while we wait for room
            try:
                self._queue.put(_STOP, timeout=0.05)
                break
            except queue.Full:
                if time.monotonic() > deadline:
                    break
        self._thread.join(max(0.0, deadline - time.monotonic()))
        if self._thread.is_alive() and self.error is None:
            self.error = TimeoutError(f"the encoder did not finish the video within {timeout:g} s")
        while True:  # frames never encoded: let them go
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break

    def message(self) -> str | None:
        """What went wrong with the video, for a person, or None."""
        if self.error is None:
            return None
        detail = self.error.strerror if isinstance(self.error, OSError) and self.error.strerror else str(self.error)
        return f"cannot write the video {self.path}: {detail or type(self.error).__name__}"

    def _work(self) -> None:
        import av

        container = None
        stream: Any = None
        whole = 0  # bytes of the file known whole (header and complete fragments)
        whole_frames = 0  # the frames those hold
        try:
            while True:
                frame = self._queue.get()
                if frame is _STOP:
                    break
                if container is None:
                    container, stream = self._open(av, frame)
                img = frame.reformat(width=stream.width, height=stream.height, format="yuv420p")
                img.pts = self.frames_written
                img.time_base = Fraction(1, self.fps)
                for packet in stream.encode(img):
                    container.mux(packet)
                    size = self._size()  # packets are flushed as muxed: the file ends on a whole fragment
                    if size != whole:  # a fragment (the frames before this one) reached the file
                        whole, whole_frames = size, self.frames_written
                self.frames_written += 1
        except BaseException as e:  # keep the file valid whatever happened
            self.error = e
            self._report()
        finally:
            if container is not None:
                if self.error is None:
                    try:
                        for packet in stream.encode(None):
                            container.mux(packet)
                    except Exception as e:
                        self.error = e
                        self._report()
                try:
                    container.close()
                except Exception as e:
                    if self.error is None:
                        self.error = e
                        self._report()
            if self.error is not None and whole:
                self._cut(whole)  # a torn last fragment off: what stays plays
                self.frames_written = whole_frames

    def _size(self) -> int:
        try:
            return os.stat(self.path).st_size
        except OSError:
            return 0

    def _cut(self, size: int) -> None:
        try:
            os.truncate(self.path, size)
        except OSError:
            pass

    def _report(self) -> None:
        if self.on_error is not None:
            try:
                self.on_error(self.message() or "the video failed")
            except Exception:
                pass

    def _open(self, av: Any, first: Any) -> tuple[Any, Any]:
        container = av.open(
            self.path,
            mode="w",
            format="mp4",
            options={"movflags": "frag_keyframe+empty_moov+default_base_moof", "flush_packets": "1"},
        )
        stream = container.add_stream("libx264", rate=self.fps)
        # H.264 in yuv420p needs even dimensions.
        stream.width = first.width - first.width % 2
        stream.height = first.height - first.height % 2
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, self.fps)
        stream.codec_context.gop_size = self.fps
        stream.options = {"preset": self.preset, "crf": str(self.crf), "tune": "zerolatency"}
        return container, stream
