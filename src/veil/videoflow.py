"""Decoding, per-frame work and encoding of one video, overlapped in three threads.

:func:`run_overlapped` decodes in one thread and encodes in another while the caller's
``on_frame`` redacts each frame in order on the calling thread. Bounded queues keep memory flat;
a failure on any side stops the others, and the real cause is raised (a writer's failure over the
``stopped`` error it causes upstream).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from veil.errors import MediaError
from veil.media.video import StreamPacket, VideoFrame, VideoReader, VideoWriter

__all__ = ["run_overlapped"]

_QUEUE_SIZE = 8
_DONE = object()


def run_overlapped(
    reader: VideoReader, writer: VideoWriter, on_frame: Callable[[VideoFrame], None]
) -> None:
    """Read ``reader``, call ``on_frame`` on every frame (in place), write all to ``writer``."""
    decoded: queue.Queue[Any] = queue.Queue(_QUEUE_SIZE)
    redacted: queue.Queue[Any] = queue.Queue(_QUEUE_SIZE)
    stop = threading.Event()
    read_thread = threading.Thread(
        target=_produce, args=(reader.items(), decoded, stop), daemon=True
    )
    write_thread = threading.Thread(target=_consume, args=(writer, redacted, stop), daemon=True)
    read_thread.start()
    write_thread.start()
    try:
        for item in _drain(decoded, stop):
            if isinstance(item, VideoFrame):
                on_frame(item)
            _put(redacted, item, stop)
        _put(redacted, _DONE, stop)
    except BaseException as exc:
        stop.set()
        write_thread.join()
        writer_error = getattr(write_thread, "error", None)
        if writer_error is not None and writer_error is not exc:
            raise writer_error from exc  # the writer's failure is the real cause
        raise
    finally:
        write_thread.join()
        stop.set()
        read_thread.join(timeout=5)
    error = getattr(write_thread, "error", None)
    if error is not None:
        raise error


def _put(q: queue.Queue[Any], item: Any, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            q.put(item, timeout=0.1)
            return
        except queue.Full:
            continue
    raise MediaError("video processing stopped")


def _produce(items: Iterator[Any], q: queue.Queue[Any], stop: threading.Event) -> None:
    try:
        for item in items:
            _put(q, item, stop)
        _put(q, _DONE, stop)
    except BaseException as exc:  # handed to the consumer, which re-raises it
        if not stop.is_set():
            _put(q, _Failure(exc), stop)


def _consume(writer: VideoWriter, q: queue.Queue[Any], stop: threading.Event) -> None:
    try:
        for item in _drain(q, stop):
            if isinstance(item, VideoFrame):
                writer.write_frame(item)
            elif isinstance(item, StreamPacket):
                writer.copy_packet(item)
    except BaseException as exc:
        threading.current_thread().error = exc  # type: ignore[attr-defined]
        stop.set()


@dataclass
class _Failure:
    error: BaseException


def _drain(q: queue.Queue[Any], stop: threading.Event) -> Iterator[Any]:
    """Items from ``q`` until ``_DONE``; ends early once ``stop`` is set and ``q`` is empty."""
    while True:
        try:
            item = q.get(timeout=0.1)
        except queue.Empty:
            if stop.is_set():
                return  # the other side gave up: whoever set stop reports why
            continue
        if item is _DONE:
            return
        if isinstance(item, _Failure):
            raise item.error
        yield item
