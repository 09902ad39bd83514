"""The face policy and the event sink reach files (``veil blur``/``veil gate``) and live streams
(``veil stream``) the same way: one spec opened per run where the frame step runs, one sink."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pytest

from tests.stream.stream_helpers import make_clip
from veil.batch_run import BatchRequest, anonymize_batch
from veil.errors import ConfigError
from veil.ledger import Event, Ledger
from veil.media.images import write_image
from veil.pipeline import AnonymizeOptions, FileResult, Job
from veil.run_context import open_run
from veil.stream.setup import StreamRequest, build_run
from veil.trace import RunTrace, TraceSettings
from veil.vision.detections import Detections
from veil.vision.policy import FaceDecisions, FacePolicy, Frame, RedactAll


class KeepEveryone:
    """A face policy spec whose policy keeps every face; counts opens, closes and frames."""

    def __init__(self) -> None:
        self.opened = self.closed = self.frames = 0

    def open(self, stack: contextlib.ExitStack) -> FacePolicy:
        self.opened += 1
        stack.callback(self._close)
        return self

    def _close(self) -> None:
        self.closed += 1

    def decide(self, frame: Frame, detections: Detections) -> FaceDecisions:
        self.frames += 1
        return FaceDecisions(np.zeros(len(detections), bool), [None] * len(detections))


class Quiet:
    def planned(self, jobs: list[Job], problems: list[FileResult]) -> None: ...
    def started(self, job: Job) -> None: ...
    def advanced(self, frames: int) -> None: ...
    def done(self, result: FileResult) -> None: ...


def leaves() -> list[Event]:
    with Ledger.open(create=False) as ledger:
        return [Event.from_canonical(leaf.data) for leaf in ledger.log.iter_leaves()]


def test_batch_and_stream_open_the_same_policy_spec_and_log_through_the_same_sink(
    tmp_path: Path, astronaut_bgr: np.ndarray
) -> None:
    trace = TraceSettings(system="veil-blur", controller="Archive", create=True)
    photo = tmp_path / "a.png"
    write_image(photo, astronaut_bgr)
    files = KeepEveryone()
    request = BatchRequest((photo,), tmp_path / "o.png", AnonymizeOptions(), trace=trace)
    outcome = anonymize_batch(request, Quiet(), policy=files)
    assert (files.opened, files.closed, files.frames) == (1, 1, 1)
    assert outcome.summary.totals()["faces_kept"] == 1 and outcome.logged
    assert len(outcome.ledger_indexes) == 1

    live = KeepEveryone()
    clip = make_clip(tmp_path / "clip.mp4", frames=24, fps=12)
    built = build_run(
        StreamRequest(
            str(clip), record=tmp_path / "rec", realtime=False, segment_seconds=1.0,
            ledger=True, controller="Archive", policy=live,
        )
    )  # fmt: skip
    try:
        assert live.opened == 1 and live.closed == 0  # one policy for the run, open while it runs
        built.run.start()
        summary = built.run.wait(60)
    finally:
        built.close()
    assert live.closed == 1 and live.frames > 0
    camera = summary.cameras[0]
    assert camera.error is None and camera.faces_redacted == 0  # the policy kept every face
    assert built.ledger_events == len(camera.segments) >= 2
    events = leaves()
    assert [e.system for e in events] == ["veil-blur"] + ["veil-stream/camera"] * len(
        camera.segments
    )
    assert {e.controller for e in events} == {"Archive"}
    assert events[0].counts["faces_kept"] == 1 and "input" in events[0].digests
    assert all("segment" in e.digests for e in events[1:])


def test_open_run_closes_the_sink_before_the_policy_and_defaults_to_redact_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    order: list[str] = []
    spec = KeepEveryone()
    monkeypatch.setattr(spec, "_close", lambda: order.append("policy"))
    real_close = RunTrace.close

    def close_sink(self: RunTrace) -> None:
        order.append("sink")
        real_close(self)

    monkeypatch.setattr(RunTrace, "close", close_sink)
    with contextlib.ExitStack() as stack:
        run = open_run(stack, policy=spec, trace=TraceSettings(system="t", create=True))
        assert run.policy is spec and run.trace is not None and order == []
    # The gate logs its pending events on close: the run's sink is already done by then.
    assert order == ["sink", "policy"]
    with contextlib.ExitStack() as stack:
        plain = open_run(stack)
    assert isinstance(plain.policy, RedactAll) and plain.trace is None


class FullDisk:
    """A ledger whose appends fail."""

    def controller_or_origin(self, controller: str | None) -> str:
        return controller or "example.com/log"

    def append(self, event: Event) -> int:
        raise OSError("disk full")


def test_the_sink_skips_duplicates_counts_failures_and_refuses_a_missing_ledger() -> None:
    with pytest.raises(ConfigError, match="cannot trace this run in the ledger"):
        RunTrace.open(TraceSettings(system="veil-blur"))  # no `veil ledger init`, no create
    event = Event.new(
        action="anonymize", controller="Archive", system="veil-blur",
        data_categories=["image.scene"], purpose="p", legal_basis="legal_obligation",
    )  # fmt: skip
    sink = RunTrace.open(TraceSettings(system="veil-blur", controller="Archive", create=True))
    try:
        assert sink.emit(event) == 0
        assert sink.emit(event) is None  # already in the ledger: logged once
        assert sink.appended == 1 and sink.indexes == [0] and sink.failed == 0
    finally:
        sink.close()
    failing = RunTrace(TraceSettings(system="veil-blur"), FullDisk())  # type: ignore[arg-type]
    with pytest.raises(OSError, match="disk full"):
        failing.emit(event)
    assert failing.failed == 1 and failing.appended == 0
    assert failing.controller == "example.com/log"
