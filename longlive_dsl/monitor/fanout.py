"""Handing the newest picture and state to every viewer without ever waiting for one.

Each viewer (a browser tab) has a `Mailbox`: the newest state (one slot: a new state replaces the
old) and the newest `FRAMES_PER_VIEWER` frames (a new frame pushes out the oldest), so a tab that
reads slowly, or not at all, only ever holds a bounded few items; the frames it missed are counted
as dropped for that tab alone. Two frames rather than one ride out the pairs in which WebRTC
often delivers frames, so a tab that keeps up sees every frame. The `Fanout` puts each item into every mailbox. Both live on one event loop
(the monitor's server loop); nothing here blocks.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

FRAME = "frame"
STATE = "run-state"
KINDS = (STATE, FRAME)
"""The kinds of item, in the order a reader takes them (state first: it is small and steers the page)."""
FRAMES_PER_VIEWER = 2
"""Frames a viewer's mailbox holds at most."""


class Mailbox:
    """One viewer's bounded inbox: the newest state and the newest `frames` frames."""

    def __init__(self, frames: int = FRAMES_PER_VIEWER) -> None:
        self._state: Any = None
        self._has_state = False
        self._frames: deque[Any] = deque(maxlen=frames)
        self._ready = asyncio.Event()
        self.closed = False
        self.delivered = 0
        self.dropped = 0
        """Frames replaced before this viewer took them."""

    def put(self, kind: str, item: Any) -> None:
        """Leave `item` for the reader: a state replaces the waiting one, a frame pushes out the oldest when full."""
        if self.closed:
            return
        if kind == FRAME:
            if len(self._frames) == self._frames.maxlen:
                self.dropped += 1
            self._frames.append(item)
        else:
            self._state, self._has_state = item, True
        self._ready.set()

    def close(self) -> None:
        """No more items: a reader gets what is still in the slots, then None."""
        self.closed = True
        self._ready.set()

    def pending(self) -> int:
        """How many items wait (at most one state and `frames` frames)."""
        return len(self._frames) + self._has_state

    def take(self) -> tuple[str, Any] | None:
        """The next waiting item, state before frames, oldest frame first, without waiting (None when empty)."""
        if self._has_state:
            item, self._state, self._has_state = self._state, None, False
            return STATE, item
        if self._frames:
            return FRAME, self._frames.popleft()
        return None

    async def next(self) -> tuple[str, Any] | None:
        """Wait for the next item; None once the mailbox is closed and empty."""
        while True:
            item = self.take()
            if item is not None:
                self.delivered += 1
                return item
            if self.closed:
                return None
            self._ready.clear()
            await self._ready.wait()


class Fanout:
    """Every viewer's mailbox; `publish` reaches them all at once."""

    def __init__(self, frames_per_viewer: int = FRAMES_PER_VIEWER) -> None:
        self.frames_per_viewer = frames_per_viewer
        self.viewers: set[Mailbox] = set()
        self.latest: dict[str, Any] = {}
        self.closed = False
        self._gone_dropped = 0

    def subscribe(self) -> Mailbox:
        """A new viewer's mailbox, primed with the newest state and frame (so a new tab shows something at once)."""
        box = Mailbox(self.frames_per_viewer)
        for kind in KINDS:
            if kind in self.latest:
                box.put(kind, self.latest[kind])
        if self.closed:
            box.close()
        else:
            self.viewers.add(box)
        return box

    def unsubscribe(self, box: Mailbox) -> None:
        """The viewer went away."""
        box.close()
        if box in self.viewers:
            self.viewers.discard(box)
            self._gone_dropped += box.dropped

    @property
    def dropped(self) -> int:
        """Frames dropped for slow viewers, all viewers (present and gone) together."""
        return self._gone_dropped + sum(box.dropped for box in self.viewers)

    def publish(self, kind: str, item: Any) -> None:
        """Give `item` to every viewer (replacing any of the same kind it has not taken yet)."""
        self.latest[kind] = item
        for box in self.viewers:
            box.put(kind, item)

    def close(self) -> None:
        """The run is over: each viewer gets what is in its mailbox, then the end."""
        self.closed = True
        for box in list(self.viewers):
            self.unsubscribe(box)
