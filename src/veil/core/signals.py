"""SIGTERM and Ctrl-C as orderly stops, so cleanup runs.

Python's default SIGTERM ends the process at once, skipping every ``finally``: a video being
encoded would leave its ``.NAME.XXXX.partial.mp4`` behind. Under :func:`terminate_gracefully`
the first SIGTERM raises :class:`Terminated` in the main thread (partial outputs are removed,
files closed) and later ones are ignored while that cleanup runs; SIGKILL cannot be caught, and
the next run removes what it left (see :mod:`veil.core.atomic`). Under :func:`stop_on_signals`
SIGTERM and SIGINT call a ``stop`` function instead (a live stream finishes its segments).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

TERMINATED_EXIT = 128 + signal.SIGTERM  # 143, as a shell reports a process ended by SIGTERM


class Terminated(BaseException):
    """Raised in the main thread when SIGTERM arrives (a BaseException: batches do not go on)."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the cleanup
    raise Terminated


@contextlib.contextmanager
def terminate_gracefully() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` (main thread only; else a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def stop_on_signals(stop: Callable[[], None]) -> Iterator[None]:
    """Within the block, SIGTERM and SIGINT call ``stop`` instead of ending Veil."""
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    for sig in previous:
        signal.signal(sig, lambda *_: stop())
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
