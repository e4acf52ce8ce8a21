"""Telling the app that the server is shutting down, while its open requests may still finish.

On SIGTERM uvicorn stops accepting connections, calls `shutdown()` on each open one, then
waits up to its graceful timeout for the running requests before cancelling them (each
then gets a text/plain 500) and only then runs the app's lifespan shutdown. A request that
waits on purpose (the event feed's long-poll, `wait` up to 30 s) would hold the whole
shutdown. `BoundedHttpProtocol.shutdown` (http_protocol.py) calls `begin()`, which calls
what the app registered with `on_stop` (the backend wakes its long-polls, which answer at
once as if their wait had run out).

Only under `gmbot serve`, whose uvicorn runs that protocol.
"""

from __future__ import annotations

from collections.abc import Callable

_callbacks: list[Callable[[], None]] = []


def on_stop(callback: Callable[[], None]) -> Callable[[], None]:
    """Call `callback` when the server begins to shut down (once per open connection: it
    must not mind being called again); returns the function that unregisters it."""
    _callbacks.append(callback)

    def unregister() -> None:
        if callback in _callbacks:
            _callbacks.remove(callback)

    return unregister


def begin() -> None:
    """The server stopped accepting connections and waits for the open requests."""
    for callback in list(_callbacks):
        callback()
