"""``veil stream`` as a library call (veil.stream.live.run_stream): the CLI's outcome, from Python."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.stream.stream_helpers import decode_frames, make_clip, run_veil
from veil.errors import ConfigError
from veil.media_options import MediaOptions
from veil.stream.live import StreamOutcome, run_stream
from veil.stream.recorder import segment_files
from veil.stream.request import StreamRequest
from veil.stream.runner import StreamRun
from veil.vision.redact import RedactionMode


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clips") / "clip.mp4", frames=24, fps=12)


class Recorder:
    """A watcher that remembers the order it was told things in."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    @contextlib.contextmanager
    def running(self, run: StreamRun) -> Iterator[None]:
        self.calls.append(f"running {len(run.cameras)}")
        yield
        self.calls.append("stopped")

    def started(self, run: StreamRun) -> None:
        self.calls.append("started")

    def tick(self, run: StreamRun) -> None:
        if self.calls[-1] != "tick":
            self.calls.append("tick")


def recorded(folder: Path) -> list[np.ndarray]:
    return [f for path in segment_files(folder) for f in decode_frames(path)]


def test_run_stream_gives_what_veil_stream_prints(clip: Path, tmp_path: Path) -> None:
    cli = run_veil(
        "stream", str(clip), "--fast", "--no-adapt", "--record", str(tmp_path / "cli"),
        "--max-latency", "30", "--mode", "solid", "--no-ledger", "--json",
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    request = StreamRequest(
        source=str(clip),
        record=tmp_path / "lib",
        realtime=False,
        adapt=False,
        max_latency=30.0,  # no frame is late, however loaded the machine
        options=MediaOptions(mode=RedactionMode.SOLID).options(),
    )
    watcher = Recorder()
    outcome = run_stream(request, watcher=watcher)
    assert watcher.calls[:2] == ["running 1", "started"] and watcher.calls[-1] == "stopped"
    assert outcome.error is None and outcome.summary.ledger_events == 0
    ours, theirs = outcome.to_dict()["cameras"][0], json.loads(cli.stdout)["cameras"][0]
    for key in ("frames_in", "frames_out", "frames_dropped", "faces_redacted", "frames_blanked"):
        assert ours[key] == theirs[key], key
    assert ours["frames_out"] == 24
    library, command = recorded(tmp_path / "lib"), recorded(tmp_path / "cli")
    assert len(library) == len(command) == 24
    for i, (a, b) in enumerate(zip(library, command, strict=True)):
        assert np.abs(a.astype(int) - b.astype(int)).mean() < 2.0, f"frame {i}"  # same redaction


def test_camera_lines_summarize_each_camera() -> None:
    from veil.stream.runner import CameraSummary, StreamSummary

    camera = CameraSummary(
        "door", "file.mp4", 10, 8, 2, 5, 1, {"late": 1}, 0, 0, 4, ["a.mp4"], None, None, None
    )
    outcome = StreamOutcome(StreamSummary(cameras=[camera]))
    assert outcome.camera_lines() == [
        "door: 8 frames out of 10 in (2 dropped), 5 faces redacted, 1 frames blanked, "
        "0 reconnects, 1 segments"
    ]
    assert outcome.error is None and outcome.to_dict()["cameras"][0]["name"] == "door"


def test_progress_line_counts_every_camera_so_far() -> None:
    from types import SimpleNamespace

    from veil.stream.live import progress_line
    from veil.stream.metrics import CameraMetrics

    cameras = []
    for name, out, late in (("door", 3, 0), ("yard", 0, 2)):
        metrics = CameraMetrics(name)
        metrics.set("frames_out", out)
        metrics.set("frames_blanked_late", late)
        cameras.append(SimpleNamespace(name=name, metrics=metrics))
    line = progress_line(SimpleNamespace(cameras=cameras))  # type: ignore[arg-type]
    assert line == "door: 3 out, 0 faces, 0 blanked | yard: 0 out, 0 faces, 2 blanked"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"source": None}, "give one SOURCE or --cameras FILE"),
        ({"source": "a.mp4", "cameras_file": Path("c.yaml")}, "give one SOURCE"),
        ({"source": "rtsp://cam/1", "transport": "quic"}, "use tcp or udp"),
    ],
)
def test_impossible_requests_are_refused_when_made(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        StreamRequest(**fields)  # type: ignore[arg-type]


def test_ledger_default_is_on_with_a_database_or_an_initialised_ledger(tmp_path: Path) -> None:
    assert StreamRequest("a.mp4").trace() is None  # a Python caller's default: no ledger
    assert StreamRequest("a.mp4", ledger=None).trace() is None  # no `veil ledger init` here
    traced = StreamRequest("a.mp4", ledger=None, db=f"sqlite:///{tmp_path / 'l.db'}").trace()
    assert traced is not None and traced.create and traced.system == "veil-stream"
    assert StreamRequest("a.mp4", ledger=False, db="sqlite:///x.db").trace() is None
