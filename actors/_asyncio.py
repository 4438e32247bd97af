"""ask() for asyncio code."""
from actors._backend import core as _core

Timeout, _post_request = _core.Timeout, _core._post_request


class _FutureWaiter:
    """Receives the reply in the actor's thread, resolves the future in the
    event loop's."""
    __slots__ = ("loop", "future")

    def __init__(self, loop, future):
        self.loop = loop
        self.future = future

    def deliver(self, value, exc):
        self.loop.call_soon_threadsafe(self._resolve, value, exc)

    def _resolve(self, value, exc):
        if not self.future.done():
            if exc is not None:
                self.future.set_exception(exc)
            else:
                self.future.set_result(value)


async def ask_async(dest, msg, timeout=5.0):
    """await-able ask(): the reply of dest (an actor in a System's thread)."""
    # Imported here: a caller has it loaded already, and `import actors`
    # (greenlet drop-in users, the CLI) need not pay ~25 ms for it.
    import asyncio
    timeout = _core._check_seconds(timeout, negative_ok=True)  # NaN: error
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    _post_request(dest, msg, _FutureWaiter(loop, future))
    try:
        return await asyncio.wait_for(future, timeout)
    except asyncio.TimeoutError:
        raise Timeout("no reply within %s s" % (timeout,)) from None
