"""Small helpers for asyncio work on the qasync loop (file I/O, scans, exports).

Coroutines run on the GUI thread's event loop; blocking calls inside them go
to the loop's default executor with :func:`off_thread`, so the GUI never waits
on the disk.
"""

from __future__ import annotations

import asyncio
import functools
import traceback
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_tasks: set[asyncio.Task] = set()


def spawn(coro: Coroutine[Any, Any, Any], on_error: Callable[[BaseException], None] | None = None) -> asyncio.Task:
    """Start ``coro`` on the running loop and keep it alive until it ends; errors go to ``on_error``."""
    task = asyncio.ensure_future(coro)
    _tasks.add(task)

    def done(t: asyncio.Task) -> None:
        _tasks.discard(t)
        if t.cancelled():
            return
        exc = t.exception()
        if exc is not None:
            if on_error is not None:
                on_error(exc)
            else:
                traceback.print_exception(exc)

    task.add_done_callback(done)
    return task


async def off_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking function in the loop's executor and await its result."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, functools.partial(fn, *args, **kwargs))


def pending() -> int:
    """How many spawned tasks are still running (tests wait for 0)."""
    return len(_tasks)
