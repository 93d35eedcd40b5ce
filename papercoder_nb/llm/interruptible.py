"""Cancel that does not wait for the network.

An HTTP backend checks Cancel per streamed chunk and closes the stream, but while it
waits for the response headers or the next chunk nothing runs to check. Here the call
runs in a helper thread and the caller waits on Cancel and on the call together: a
Cancel returns at once with ``CancelledError``. The helper sees the same token, so at
its next byte it stops, closes the stream (dropping the connection) and hands nothing
on: tokens after the Cancel are not passed to ``on_token``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from .base import CancelledError, CancelToken, TokenCallback

T = TypeVar("T")
POLL_S = 0.05
# After a Cancel the helper usually stops at once (it was reading chunks): give it this
# long to close its stream, so the caller returns with the connection already dropped.
GRACE_S = 1.0


def quiet_after_cancel(on_token: TokenCallback | None, cancel: CancelToken | None) -> TokenCallback | None:
    if on_token is None or cancel is None:
        return on_token

    def forward(text: str) -> None:
        if not cancel.cancelled:
            on_token(text)

    return forward


def run_interruptible(fn: Callable[[], T], cancel: CancelToken | None, what: str) -> T:
    """``fn()``, or ``CancelledError`` as soon as ``cancel`` is set (``fn`` finishes alone)."""
    if cancel is None:
        return fn()
    cancel.raise_if_cancelled()
    box: dict[str, object] = {}
    done = threading.Event()

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - handed to the waiting caller
            box["error"] = e
        finally:
            done.set()

    threading.Thread(target=target, name=f"call-{what}", daemon=True).start()
    while not done.wait(POLL_S):
        if cancel.cancelled:
            done.wait(GRACE_S)
            raise CancelledError(f"{what}: cancelled by the user")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]
