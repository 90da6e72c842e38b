"""Direct a session from Python: play a storyboard, add a shot and a cut live, pause, resume.

    python examples/direct.py [STORYBOARD] [TRACE]

Plays on a simulator started for it (fast: 4 frames a chunk, 4x real time). Prints every event.
"""

import asyncio
import sys

import longlive_dsl
from longlive_dsl.runtime.live import BeatFired, ChunkDone, Declined, Ended, Transport


async def main(plan: str | None, trace: str | None) -> int:
    async with longlive_dsl.connect(plan, trace=trace, simulator={"time_scale": 4.0, "frames_per_chunk": 4}) as session:

        async def watch() -> None:
            async for event in session.events():
                if isinstance(event, (BeatFired, Transport, Ended)):
                    print(event)
                elif isinstance(event, ChunkDone):
                    print(f"chunk {event.session_chunk}: {event.prompt}")

        watcher = asyncio.create_task(watch())
        if plan is None:  # an empty plan: the first shot is the opener
            await session.shot("A lighthouse on a basalt cliff at dusk, waves breaking below, slow aerial orbit")
        await session.shot("The lamp turns on and sweeps across the dark sea, spray in its beam", at="+2")
        try:  # a second beat on the same chunk is refused, with the fix
            await session.shot("a gull lands on the rail", at=f"@{session.session_chunk + 2}")
        except Declined as e:
            print(f"declined: {e.reason}\n  fix: {e.fix}")
        await session.cut("Inside the lamp room, brass gears turning, warm light on the keeper's face", at="+4")
        while session.session_chunk < 6:
            await asyncio.sleep(0.1)
        await session.pause()
        await asyncio.sleep(0.5)
        await session.resume()
        while session.session_chunk < 8:
            await asyncio.sleep(0.1)
    await watcher
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    sys.exit(asyncio.run(main(args[0] or None if args else None, args[1] if len(args) > 1 else None)))
