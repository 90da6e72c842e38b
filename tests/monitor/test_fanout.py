"""The fan-out: every viewer gets the newest frame and state; a viewer that does not read loses frames alone."""

from __future__ import annotations

import asyncio

from hypothesis import given
from hypothesis import strategies as st

from longlive_dsl.monitor.fanout import FRAME, FRAMES_PER_VIEWER, STATE, Fanout, Mailbox


def run(coro):
    return asyncio.run(coro)


def test_a_mailbox_keeps_only_the_newest_frames_and_counts_the_ones_it_pushed_out():
    box = Mailbox(frames=2)
    for n in range(5):
        box.put(FRAME, n)
    assert box.pending() == 2
    assert [box.take(), box.take(), box.take()] == [(FRAME, 3), (FRAME, 4), None]
    assert box.dropped == 3


def test_a_mailbox_of_one_frame_keeps_the_newest():
    box = Mailbox(frames=1)
    for n in range(5):
        box.put(FRAME, n)
    assert box.take() == (FRAME, 4) and box.take() is None and box.dropped == 4


def test_a_viewer_holds_two_frames_by_default():
    assert FRAMES_PER_VIEWER == 2


def test_a_mailbox_gives_state_before_frame():
    box = Mailbox()
    box.put(FRAME, "f")
    box.put(STATE, "s")
    assert [box.take(), box.take(), box.take()] == [(STATE, "s"), (FRAME, "f"), None]


def test_a_replaced_state_is_not_counted_as_a_dropped_frame():
    box = Mailbox()
    box.put(STATE, 1)
    box.put(STATE, 2)
    assert box.take() == (STATE, 2)
    assert box.dropped == 0


def test_a_reader_waits_for_the_next_item():
    async def main():
        box = Mailbox()
        reader = asyncio.ensure_future(box.next())
        await asyncio.sleep(0.01)
        assert not reader.done()
        box.put(FRAME, "f")
        return await asyncio.wait_for(reader, 1)

    assert run(main()) == (FRAME, "f")


def test_a_closed_mailbox_gives_what_it_holds_then_none():
    async def main():
        box = Mailbox()
        box.put(STATE, "last")
        box.close()
        box.put(FRAME, "too late")
        return [await box.next(), await box.next()]

    assert run(main()) == [(STATE, "last"), None]


def test_publishing_reaches_every_viewer():
    fan = Fanout()
    boxes = [fan.subscribe() for _ in range(3)]
    fan.publish(FRAME, "f1")
    assert [b.take() for b in boxes] == [(FRAME, "f1")] * 3


def test_a_stalled_viewer_does_not_hold_the_others_back():
    async def main():
        fan = Fanout()
        stalled, reading = fan.subscribe(), fan.subscribe()
        seen = []
        for n in range(100):
            fan.publish(FRAME, n)
            seen.append(await reading.next())
        return stalled, reading, seen

    stalled, reading, seen = run(main())
    assert seen == [(FRAME, n) for n in range(100)]
    assert reading.dropped == 0
    assert stalled.pending() == 2 and [stalled.take(), stalled.take()] == [(FRAME, 98), (FRAME, 99)]
    assert stalled.dropped == 98


def test_a_new_viewer_starts_with_the_newest_state_and_frame():
    fan = Fanout()
    fan.publish(STATE, "s1")
    fan.publish(FRAME, "f1")
    fan.publish(STATE, "s2")
    box = fan.subscribe()
    assert [box.take(), box.take(), box.take()] == [(STATE, "s2"), (FRAME, "f1"), None]


def test_a_viewer_that_left_gets_nothing_more():
    fan = Fanout()
    box = fan.subscribe()
    fan.unsubscribe(box)
    fan.publish(FRAME, "f")
    assert box.take() is None and not fan.viewers


def test_closing_ends_every_viewer_after_what_it_holds():
    async def main():
        fan = Fanout()
        box = fan.subscribe()
        fan.publish(STATE, "final")
        fan.close()
        late = fan.subscribe()
        return [await box.next(), await box.next(), await late.next(), await late.next()]

    assert run(main()) == [(STATE, "final"), None, (STATE, "final"), None]


@given(st.lists(st.tuples(st.sampled_from([FRAME, STATE, "read"]), st.integers(0, 2)), max_size=60),
       st.integers(1, 3))
def test_every_frame_is_taken_dropped_or_waiting_and_never_more_than_the_bound_waits(ops, bound):
    fan = Fanout(frames_per_viewer=bound)
    boxes = [fan.subscribe() for _ in range(3)]
    published = 0
    taken = [0, 0, 0]
    for n, (op, who) in enumerate(ops):
        if op == "read":
            item = boxes[who].take()
            taken[who] += item is not None and item[0] == FRAME
        else:
            fan.publish(op, n)
            published += op == FRAME
        assert all(b.pending() <= bound + 1 for b in boxes)
    for who, box in enumerate(boxes):
        waiting = 0
        while (item := box.take()) is not None:
            waiting += item[0] == FRAME
        assert waiting <= bound
        assert taken[who] + box.dropped + waiting == published
