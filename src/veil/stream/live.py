"""``veil stream`` as one library call: build the run from a request, play it, report.

:func:`run_stream` checks the :class:`~veil.stream.setup.StreamRequest`, opens the face policy
and the event sink (:func:`~veil.stream.setup.build_run`), starts every camera, waits until they
end, ``duration`` passes or :meth:`~veil.stream.runner.StreamRun.stop` is called, closes
everything and returns a :class:`StreamOutcome`. A :class:`StreamWatcher` sees the run as it
plays (the CLI prints progress and stops it on SIGTERM; the service may show it on a page).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any, Protocol

from veil.errors import VeilError
from veil.stream.runner import StreamRun, StreamSummary
from veil.stream.setup import StreamRequest, build_run

__all__ = ["StreamOutcome", "StreamWatcher", "Unwatched", "progress_line", "run_stream"]


class StreamWatcher(Protocol):
    """What a caller sees of a live run (:class:`Unwatched` is one that does nothing)."""

    def running(self, run: StreamRun) -> contextlib.AbstractContextManager[None]:
        """Entered once ``run`` is built, before it starts; left once it has stopped."""

    def started(self, run: StreamRun) -> None:
        """Every camera has started (and the endpoint listens, when serving)."""

    def tick(self, run: StreamRun) -> None:
        """Called about four times a second while ``run`` plays."""


class Unwatched:
    """A :class:`StreamWatcher` that sees nothing (the default of :func:`run_stream`)."""

    def running(self, run: StreamRun) -> contextlib.AbstractContextManager[None]:
        """Nothing to set up around the run."""
        return contextlib.nullcontext()

    def started(self, run: StreamRun) -> None:
        """Nothing to show."""

    def tick(self, run: StreamRun) -> None:
        """Nothing to show."""


@dataclass
class StreamOutcome:
    """What every camera did (with the ledger events logged) and the errors that stopped any."""

    summary: StreamSummary
    errors: list[VeilError] = field(default_factory=list)

    @property
    def error(self) -> VeilError | None:
        """The first camera's error, in camera order (``None``: every camera ended cleanly)."""
        return self.errors[0] if self.errors else None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return self.summary.to_dict()

    def camera_lines(self) -> list[str]:
        """One line per camera: frames in and out, faces, blanked frames, reconnects, segments."""
        return [
            f"{cam.name}: {cam.frames_out} frames out of {cam.frames_in} in "
            f"({cam.frames_dropped} dropped), {cam.faces_redacted} faces redacted, "
            f"{cam.frames_blanked} frames blanked, {cam.reconnects} reconnects, "
            f"{len(cam.segments)} segments"
            for cam in self.summary.cameras
        ]


def run_stream(
    request: StreamRequest,
    *,
    duration: float | None = None,
    watcher: StreamWatcher | None = None,
) -> StreamOutcome:
    """Play ``request`` until its cameras end or ``duration`` seconds pass; then close it all.

    Raises :class:`~veil.errors.ConfigError` before any camera starts for a request that
    cannot run (no source, nowhere to send the video, an unknown purpose); an error that stops
    a camera once running is in :attr:`StreamOutcome.errors`.
    """
    watcher = watcher or Unwatched()
    built = build_run(request)
    run = built.run
    try:
        with watcher.running(run):
            run.start()
            watcher.started(run)
            summary = run.wait(duration, tick=watcher.tick)
    finally:
        built.close()
    summary.ledger_events = built.ledger_events
    return StreamOutcome(summary, run.errors)


def progress_line(run: StreamRun) -> str:
    """Every camera's counts so far on one line (frames out, faces redacted, frames blanked)."""
    return " | ".join(
        f"{camera.name}: {camera.metrics.values['frames_out']} out, "
        f"{camera.metrics.values['faces_redacted']} faces, {camera.metrics.frames_blanked} blanked"
        for camera in run.cameras
    )
