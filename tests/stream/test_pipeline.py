"""``veil stream`` end to end on files played as live sources (no network servers needed).

Every recorded frame is checked: the face is hidden (``--mode solid`` makes the face centre black)
or the whole frame is blanked. Recordings are compared with ``veil blur`` of the same clip.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.stream.stream_helpers import (
    canvas,
    count_audio,
    decode_frames,
    face_center,
    face_hidden,
    free_port,
    make_clip,
    run_veil,
)
from veil.media.streams import describe_source
from veil.stream.camera import CameraConfig
from veil.stream.realtime import RealtimeRedactor, RealtimeSettings
from veil.stream.recorder import segment_files
from veil.stream.runner import StreamRun
from veil.stream.setup import StreamRequest, build_run
from veil.vision.detections import Detections
from veil.vision.redact import RedactionMode, RedactionSettings

SOLID = RedactionSettings(mode=RedactionMode.SOLID)


def all_frames(folder: Path) -> list[np.ndarray]:
    return [f for path in segment_files(folder) for f in decode_frames(path)]


@pytest.fixture(scope="module")
def drifting(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clips") / "drift.mp4", frames=48, drift=True)


@pytest.fixture(scope="module")
def static(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clips") / "static.mp4", frames=36, fps=12)


def test_stream_matches_veil_blur_frame_by_frame_and_counts_add_up(
    drifting: Path, tmp_path: Path
) -> None:
    result = run_veil(
        "stream", str(drifting), "--fast", "--no-adapt", "--record", str(tmp_path / "rec"),
        "--segment-seconds", "1.5", "--mode", "solid", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)["cameras"][0]
    blurred = run_veil("blur", str(drifting), "-o", str(tmp_path / "blur.mp4"), "--mode", "solid")
    assert blurred.returncode == 0, blurred.stderr
    reference = decode_frames(tmp_path / "blur.mp4")
    recorded = all_frames(tmp_path / "rec")
    assert summary["frames_in"] == summary["frames_out"] == len(recorded) == len(reference) == 48
    assert summary["frames_dropped"] == 0 and summary["error"] is None
    assert len(summary["segments"]) == len(segment_files(tmp_path / "rec")) == 3  # 18+18+12
    for i, (ours, theirs) in enumerate(zip(recorded, reference, strict=True)):
        assert face_hidden(ours, face_center(i, 48, 320, 240, True)), f"frame {i}: face visible"
        # Every pixel veil blur masked is masked here too (or the frame is blanked).
        original = canvas(i, 48, 320, 240, True)
        masked = (theirs.max(axis=2) < 25) & (original.max(axis=2) > 60)
        assert masked.sum() > 300
        covered = (ours[masked].max(axis=1) < 45).mean()
        assert covered > 0.9, f"frame {i}: only {covered:.0%} of blur's mask covered"
    faces = summary["faces_redacted"] + summary["frames_blanked"]
    assert faces >= 48
    segments = segment_files(tmp_path / "rec")
    assert sum(count_audio(p) for p in segments) > 50  # audio passed through


def test_resolution_change_mid_stream_starts_a_new_segment(tmp_path: Path) -> None:
    small = make_clip(tmp_path / "a.ts", frames=24, size=(320, 240), audio=False)
    large = make_clip(tmp_path / "b.ts", frames=24, size=(480, 360), audio=False)
    joined = tmp_path / "joined.ts"
    joined.write_bytes(small.read_bytes() + large.read_bytes())
    result = run_veil(
        "stream", str(joined), "--fast", "--record", str(tmp_path / "rec"), "--mode", "solid",
        "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    sizes = []
    for path in segment_files(tmp_path / "rec"):
        frames = decode_frames(path)
        height, width = frames[0].shape[:2]
        sizes.append((width, height))
        for f in frames:
            assert face_hidden(f, face_center(0, 1, width, height, False))
    assert sizes == [(320, 240), (480, 360)]
    summary = json.loads(result.stdout)["cameras"][0]
    assert summary["frames_out"] == 48


class Stall:
    name = "stall"

    def __init__(self, good: int) -> None:
        self.good, self.calls = good, 0
        self.release = threading.Event()

    def detect(self, frame: np.ndarray) -> Detections:
        self.calls += 1
        if self.calls > self.good:
            self.release.wait(20)
        h = frame.shape[0]
        x = (frame.shape[1] - h) // 2
        box = np.array([[x + 180 * h / 512, 76 * h / 512, x + 265 * h / 512, 166 * h / 512]])
        return Detections(box.astype(np.float32), np.array([0.9], np.float32))


class Crash(Stall):
    def detect(self, frame: np.ndarray) -> Detections:
        self.calls += 1
        if self.calls % 3 == 0:
            raise RuntimeError("boom")
        return Stall(10**6).detect(frame)


@pytest.mark.parametrize("kind", ["stalled", "crashing"])
def test_no_unredacted_frame_reaches_any_sink_with_a_failing_detector(
    kind: str, static: Path, tmp_path: Path
) -> None:
    detector = Stall(good=6) if kind == "stalled" else Crash(0)
    settings = RealtimeSettings(max_latency=0.25, adapt=False)
    config = CameraConfig(
        name="cam",
        source=describe_source(str(static), realtime=True),
        record=tmp_path / "rec",
        segment_seconds=60,
        restream=str(tmp_path / "hls" / "index.m3u8"),
        min_free_bytes=0,
    )
    previews: list[np.ndarray] = []
    run = StreamRun(
        [config],
        lambda _: RealtimeRedactor(detector, redaction=SOLID, settings=settings),
    )
    camera = run.cameras[0]
    assert camera.preview is not None
    original_update = camera.preview.update
    camera.preview.update = lambda pixels: (previews.append(pixels.copy()), original_update(pixels))  # type: ignore[method-assign]
    run.start()
    summary = run.wait(duration=30).cameras[0]
    if isinstance(detector, Stall):
        detector.release.set()
    center = face_center(0, 1, 320, 240, False)
    recorded = all_frames(tmp_path / "rec")
    restreamed = [f for ts in sorted((tmp_path / "hls").glob("*.ts")) for f in decode_frames(ts)]
    assert len(recorded) == summary.frames_out == 36 - summary.frames_dropped
    assert len(previews) == len(recorded)
    for sink, frames in (("recording", recorded), ("preview", previews), ("restream", restreamed)):
        for i, f in enumerate(frames):
            assert face_hidden(f, center), f"{sink} frame {i}: face visible"
    reasons = summary.blanked_by_reason
    if kind == "stalled":
        assert reasons["late"] >= 20
    else:
        assert reasons["detector"] >= 8
    assert summary.error is None


def test_sigterm_closes_the_segment_and_a_restart_resumes(static: Path, tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "veil.cli.main", "stream", str(static), "--loop", "--record",
         str(rec), "--segment-seconds", "60", "--mode", "solid", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not list(rec.glob(".*partial.mp4")) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.5)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    (first,) = segment_files(rec)
    assert not list(rec.glob(".*"))
    frames = decode_frames(first)
    assert len(frames) == json.loads(out)["cameras"][0]["frames_out"] > 5
    assert all(face_hidden(f, face_center(0, 1, 320, 240, False)) for f in frames)
    before = first.read_bytes()
    (rec / f".{first.stem}.x.partial.mp4").write_bytes(b"left by a crash")
    again = run_veil("stream", str(static), "--fast", "--record", str(rec), "--mode", "solid")
    assert again.returncode == 0, again.stderr
    files = segment_files(rec)
    assert len(files) == 2 and files[0] == first and first.read_bytes() == before
    assert files[1].name.endswith("-000001.mp4")
    assert not list(rec.glob(".*"))


def test_one_ledger_event_per_closed_segment(
    drifting: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from veil.ledger import Event, Ledger

    env = {**os.environ, "VEIL_HOME": str(tmp_path / "home")}
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    result = run_veil(
        "stream", str(drifting), "--fast", "--record", str(tmp_path / "rec"),
        "--segment-seconds", "2", "--db", db, "--mode", "solid", "--json", env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    monkeypatch.setenv("VEIL_HOME", str(tmp_path / "home"))
    ledger = Ledger.open(db)
    try:
        events = [Event.from_canonical(leaf.data) for leaf in ledger.log.iter_leaves()]
        origin = ledger.origin
    finally:
        ledger.close()
    assert all(e.controller == origin for e in events)  # no --controller: the ledger's origin
    segments = summary["cameras"][0]["segments"]
    assert summary["ledger_events"] == len(events) == len(segments) == 2
    assert sum(e.counts["frames"] for e in events) == 48
    camera = summary["cameras"][0]
    assert sum(e.counts["faces_redacted"] for e in events) == camera["faces_redacted"]
    assert sum(e.counts["frames_blanked"] for e in events) == camera["frames_blanked"]
    assert all(e.action == "anonymize" and e.subject is None for e in events)
    import hashlib

    for event, path in zip(events, segments, strict=True):
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        assert event.digests["segment"] == f"sha256:{digest}"


def test_purpose_goes_through_the_consent_gate(static: Path, tmp_path: Path) -> None:
    """--purpose opens the consent gate as ``veil gate`` does: an unknown purpose is refused."""
    env = {**os.environ, "VEIL_HOME": str(tmp_path / "home")}
    db = f"sqlite:///{tmp_path / 'veil.db'}"
    result = run_veil(
        "stream", str(static), "--record", str(tmp_path / "rec"), "--purpose", "greeting",
        "--db", db, env=env,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith("veil: error: unknown purpose 'greeting'")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "rec").exists()


def test_bad_usage_is_reported_in_one_line(tmp_path: Path) -> None:
    result = run_veil("stream", str(tmp_path / "missing.mp4"), "--record", str(tmp_path))
    assert result.returncode == 2 and "no such file" in result.stderr
    result = run_veil("stream", "ftp://x/y", "--record", str(tmp_path))
    assert result.returncode == 2 and "unsupported source" in result.stderr
    (tmp_path / "bad.yaml").write_text("cameras: [{name: 'a b', source: x}]\n")
    result = run_veil("stream", "--cameras", str(tmp_path / "bad.yaml"))
    assert result.returncode == 2 and "cameras.0.name" in result.stderr


def test_cameras_file_metrics_health_preview_and_hls(static: Path, tmp_path: Path) -> None:
    port = free_port()
    cameras = tmp_path / "cameras.yaml"
    cameras.write_text(
        f"record: {tmp_path / 'rec'}\nserve: 127.0.0.1:{port}\nsegment_seconds: 60\n"
        f"cameras:\n  - name: lobby\n    source: {static}\n    loop: true\n    restream: hls\n"
        f"  - name: desk\n    source: {static}\n    loop: true\n    audio: false\n"
    )
    options = __import__("veil.pipeline", fromlist=["AnonymizeOptions"]).AnonymizeOptions(
        redaction=SOLID
    )
    built = build_run(StreamRequest(source=None, cameras_file=cameras, options=options))
    run = built.run
    run.start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 40
        health: dict[str, object] = {}
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=5) as response:
                    health = json.loads(response.read())
                    if response.status == 200 and all(
                        c["frames_out"] > 20
                        for c in health["cameras"].values()  # type: ignore[attr-defined]
                    ):
                        break
            except urllib.error.HTTPError as exc:
                health = json.loads(exc.read())
            time.sleep(0.3)
        assert health.get("status") == "ok", health
        metrics = urllib.request.urlopen(f"{base}/metrics", timeout=5).read().decode()
        for name in (
            'veil_stream_frames_in_total{camera="lobby"}',
            'veil_stream_frames_out_total{camera="desk"}',
            "veil_stream_faces_redacted_total",
            'veil_stream_frames_blanked_total{camera="lobby",reason="late"}',
            "veil_stream_detector_latency_seconds_bucket",
            "veil_stream_reconnects_total",
        ):
            assert name in metrics
        faces = [
            float(line.split()[-1])
            for line in metrics.splitlines()
            if line.startswith("veil_stream_faces_redacted_total")
        ]
        assert all(v > 0 for v in faces)
        import cv2

        jpeg = urllib.request.urlopen(f"{base}/preview/lobby.jpg", timeout=5).read()
        preview = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        assert preview.shape == (240, 320, 3)
        assert face_hidden(preview, face_center(0, 1, 320, 240, False))
        with urllib.request.urlopen(f"{base}/preview/desk.mjpg", timeout=5) as stream:
            assert "multipart/x-mixed-replace" in stream.headers["Content-Type"]
            assert stream.read(2) == b"--"
        time.sleep(2.5)  # let the HLS muxer finish a couple of segments
        frames = decode_frames(f"{base}/hls/lobby/index.m3u8", limit=10)
        assert len(frames) == 10
        assert all(face_hidden(f, face_center(0, 1, 320, 240, False)) for f in frames)
    finally:
        run.stop()
        summary = run.wait()
        built.close()
    assert [c.name for c in summary.cameras] == ["lobby", "desk"]
    for cam in summary.cameras:
        assert cam.error is None
        assert cam.frames_in == cam.frames_out + cam.frames_dropped
        recorded = all_frames(tmp_path / "rec" / cam.name)  # a new segment per file loop
        assert len(recorded) == cam.frames_out
        for f in recorded:
            assert face_hidden(f, face_center(0, 1, 320, 240, False))


def test_disk_full_stops_the_camera_with_a_clear_error_and_no_partial(
    static: Path, tmp_path: Path
) -> None:
    config = CameraConfig(
        name="cam",
        source=describe_source(str(static), realtime=False),
        record=tmp_path / "rec",
        min_free_bytes=1 << 60,  # more than any disk has: the first segment cannot start
    )
    run = StreamRun([config], lambda _: RealtimeRedactor(Stall(10**6), redaction=SOLID))
    run.start()
    summary = run.wait(duration=30).cameras[0]
    (error,) = run.errors
    assert "disk full" in str(error) and error.exit_code == 1
    assert summary.error is not None and summary.frames_out == 0
    assert list((tmp_path / "rec").iterdir()) == []


def test_purpose_with_the_consent_gate_redacts_everyone_who_did_not_consent(
    static: Path, tmp_path: Path
) -> None:
    pytest.importorskip("veil.consent.gate")
    env = {
        **os.environ,
        "VEIL_HOME": str(tmp_path / "home"),
        "VEIL_MASTER_KEY": "ab" * 32,
    }
    db = f"sqlite:///{tmp_path / 'veil.db'}"
    declared = run_veil("consent", "purpose", "add", "greet", "--db", db, env=env)
    assert declared.returncode == 0, declared.stderr
    result = run_veil(
        "stream", str(static), "--fast", "--record", str(tmp_path / "rec"), "--purpose", "greet",
        "--db", db, "--segment-seconds", "2", "--mode", "solid", "--json", env=env,
    )  # fmt: skip
    if result.returncode != 0 and "embedder" in result.stderr.lower():
        pytest.skip(f"no face embedder here: {result.stderr.strip()}")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    camera = summary["cameras"][0]
    frames = all_frames(tmp_path / "rec")
    assert len(frames) == camera["frames_out"] == 36
    assert all(face_hidden(f, face_center(0, 1, 320, 240, False)) for f in frames)
    assert summary["ledger_events"] == len(camera["segments"]) == 2
    from veil.ledger.events import Event

    events = [Event.from_canonical(leaf.data) for leaf in _ledger_leaves(db, tmp_path / "home")]
    segment_events = [e for e in events if e.system == "veil-stream/camera"]
    assert len(segment_events) == 2
    assert all(e.legal_basis == "consent" and e.purpose == "greet" for e in segment_events)


def _ledger_leaves(db: str, home: Path) -> list[Any]:
    import veil.ledger

    previous = os.environ.get("VEIL_HOME")
    os.environ["VEIL_HOME"] = str(home)
    try:
        ledger = veil.ledger.Ledger.open(db)
        try:
            return list(ledger.log.iter_leaves())
        finally:
            ledger.close()
    finally:
        if previous is None:
            del os.environ["VEIL_HOME"]
        else:
            os.environ["VEIL_HOME"] = previous


def test_camera_passwords_never_reach_errors_or_logs(tmp_path: Path) -> None:
    port = free_port()  # nobody listens: the connection is refused
    url = f"rtsp://admin:hunter2@127.0.0.1:{port}/stream"
    result = run_veil(
        "stream", url, "--record", str(tmp_path), "--max-reconnects", "0", "--timeout", "1",
        "--json",
    )  # fmt: skip
    assert result.returncode == 1
    assert "hunter2" not in result.stderr + result.stdout
    assert f"rtsp://admin:***@127.0.0.1:{port}/stream" in result.stderr
    assert json.loads(result.stdout)["cameras"][0]["source"].startswith("rtsp://admin:***@")
