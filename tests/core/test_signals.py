"""SIGTERM and Ctrl-C as orderly stops (veil.core.signals)."""

from __future__ import annotations

import os
import signal
import time

from veil.core.signals import stop_on_signals


def test_signals_call_stop_within_the_block_and_the_old_handlers_come_back() -> None:
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    stops: list[None] = []
    with stop_on_signals(lambda: stops.append(None)):
        for sig in (signal.SIGTERM, signal.SIGINT):
            os.kill(os.getpid(), sig)
            deadline = time.monotonic() + 5
            while len(stops) < (1 if sig is signal.SIGTERM else 2) and time.monotonic() < deadline:
                time.sleep(0.01)
    assert len(stops) == 2  # neither ended the process nor raised KeyboardInterrupt
    assert {sig: signal.getsignal(sig) for sig in before} == before
