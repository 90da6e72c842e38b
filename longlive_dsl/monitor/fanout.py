"""Handing the newest picture and state to every viewer without ever waiting for one.

Each viewer (a browser tab) has a `Mailbox` with one slot per kind of item (`frame`, `state`):
putting an item replaces whatever the slot held, so a tab that reads slowly, or not at all, only
ever holds the newest frame and the newest state; the frames it missed are counted as dropped for
that tab alone. The `Fanout` puts each item into every mailbox. Both live on one event loop
(the monitor's server loop); nothing here blocks.
"""

from __future__ import annotations

import asyncio
from typing import Any

FRAME = "frame"
STATE = "state"
KINDS = (STATE, FRAME)
"""The slots of a mailbox, in the order a reader takes them (state first: it is small and steers the page)."""


class Mailbox:
    """One viewer's bounded inbox: at most one item per kind, the newest."""

    def __init__(self) -> None:
        self._slots: dict[str, Any] = {}
        self._ready = asyncio.Event()
        self.closed = False
        self.delivered = 0
        self.dropped = 0
        """Frames replaced before this viewer took them."""

    def put(self, kind: str, item: Any) -> None:
        """Leave `item` in the `kind` slot, replacing (and, for frames, counting) what was there."""
        if self.closed:
            return
        if kind in self._slots and kind == FRAME:
            self.dropped += 1
        self._slots[kind] = item
        self._ready.set()

    def close(self) -> None:
        """No more items: a reader gets what is still in the slots, then None."""
        self.closed = True
        self._ready.set()

    def pending(self) -> int:
        """How many items wait (at most one per kind)."""
        return len(self._slots)

    def take(self) -> tuple[str, Any] | None:
        """The next waiting item, state before frame, without waiting (None when empty)."""
        for kind in KINDS:
            if kind in self._slots:
                return kind, self._slots.pop(kind)
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

    def __init__(self) -> None:
        self.viewers: set[Mailbox] = set()
        self.latest: dict[str, Any] = {}
        self.closed = False

    def subscribe(self) -> Mailbox:
        """A new viewer's mailbox, primed with the newest state and frame (so a new tab shows something at once)."""
        box = Mailbox()
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
        self.viewers.discard(box)

    def publish(self, kind: str, item: Any) -> None:
        """Give `item` to every viewer (replacing any of the same kind it has not taken yet)."""
        self.latest[kind] = item
        for box in self.viewers:
            box.put(kind, item)

    def close(self) -> None:
        """The run is over: each viewer gets what is in its mailbox, then the end."""
        self.closed = True
        for box in self.viewers:
            box.close()
        self.viewers.clear()
