"""``veil stream`` against real servers: GStreamer's RTSP server, ffmpeg over UDP and HLS.

Each test starts its server, streams a clip with a face through Veil (``--mode solid``) and checks
every recorded (and restreamed) frame: the face is hidden or the frame blanked. Tests skip, with
the reason, when ffmpeg or GStreamer's RTSP server is not installed (``make system-deps``).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from tests.stream.stream_helpers import (
    CorruptingRelay,
    RtspServer,
    decode_frames,
    face_center,
    face_hidden,
    ffmpeg_hls,
    ffmpeg_udp,
    free_port,
    http_folder,
    make_clip,
    need_ffmpeg,
)
from veil.pipeline import AnonymizeOptions
from veil.stream.recorder import segment_files
from veil.stream.runner import StreamRun, StreamSummary
from veil.stream.setup import StreamRequest, build_run
from veil.vision.redact import RedactionMode, RedactionSettings

CENTER = face_center(0, 1, 320, 240, False)
OPTIONS = AnonymizeOptions(redaction=RedactionSettings(mode=RedactionMode.SOLID))


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight seconds at 10 fps, the face still (its place is known in every frame)."""
    return make_clip(
        tmp_path_factory.mktemp("live") / "cam.mp4", frames=80, fps=10, audio=False, gop=10
    )


@pytest.fixture(scope="module")
def clip_ts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("live") / "cam.ts", frames=60, fps=10, gop=10)


def start(request: StreamRequest) -> tuple[StreamRun, object]:
    built = build_run(request)
    built.run.start()
    return built.run, built


def wait_frames(run: StreamRun, count: int, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if run.cameras[0].metrics.values["frames_out"] >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"fewer than {count} frames came out: {run.summary().cameras[0]}")


def finish(run: StreamRun, built: object) -> StreamSummary:
    run.stop()
    summary = run.wait()
    built.close()  # type: ignore[attr-defined]
    return summary


def recorded_frames(folder: Path) -> list[np.ndarray]:
    return [f for path in segment_files(folder) for f in decode_frames(path)]


def assert_all_hidden(frames: list[np.ndarray], where: str) -> None:
    assert frames, f"no {where} frames"
    for i, f in enumerate(frames):
        assert face_hidden(f, CENTER), f"{where} frame {i}: face visible"


@pytest.mark.parametrize("transport", ["tcp", "udp"])
def test_rtsp_camera_recorded_and_restreamed_as_hls(
    transport: str, clip: Path, tmp_path: Path
) -> None:
    server = RtspServer(clip).start()
    port = free_port()
    try:
        run, built = start(
            StreamRequest(
                source=server.url,
                transport=transport,
                record=tmp_path / "rec",
                serve=f"127.0.0.1:{port}",
                restream="hls",
                options=OPTIONS,
            )
        )
        try:
            wait_frames(run, 30)
            hls = decode_frames(f"http://127.0.0.1:{port}/hls/camera/index.m3u8", limit=8)
        finally:
            summary = finish(run, built)
    finally:
        server.stop()
    cam = summary.cameras[0]
    assert cam.error is None and cam.frames_in == cam.frames_out + cam.frames_dropped
    assert len(hls) == 8  # the restream plays
    assert_all_hidden(hls, "restream")
    frames = recorded_frames(tmp_path / "rec")
    assert len(frames) == cam.frames_out >= 30
    assert_all_hidden(frames, "recorded")


def test_camera_disconnect_and_return(clip: Path, tmp_path: Path) -> None:
    server = RtspServer(clip).start()
    run, built = start(
        StreamRequest(source=server.url, record=tmp_path / "rec", timeout=2.0, options=OPTIONS)
    )
    try:
        wait_frames(run, 15)
        server.stop()  # the camera goes away ...
        time.sleep(1.5)
        assert run.cameras[0].error is None and not run.cameras[0].finished
        server.start()  # ... and comes back on the same address
        before = run.cameras[0].metrics.values["frames_out"]
        wait_frames(run, before + 15)
    finally:
        summary = finish(run, built)
        server.stop()
    cam = summary.cameras[0]
    assert cam.error is None
    assert cam.reconnects >= 1
    segments = segment_files(tmp_path / "rec")
    assert len(segments) >= 2  # a new segment after the reconnection
    frames = recorded_frames(tmp_path / "rec")
    assert len(frames) == cam.frames_out
    assert_all_hidden(frames, "recorded")


def test_udp_mpegts_with_a_corrupt_packet_burst(clip_ts: Path, tmp_path: Path) -> None:
    need_ffmpeg()
    veil_port, relay_port = free_port(2), free_port(2)  # SOCK_DGRAM
    run, built = start(
        StreamRequest(
            source=f"udp://127.0.0.1:{veil_port}", record=tmp_path / "rec", options=OPTIONS
        )
    )
    try:
        with (
            CorruptingRelay(relay_port, veil_port, start=40, burst=60) as relay,
            ffmpeg_udp(clip_ts, relay_port, loop=False),
        ):
            wait_frames(run, 45, timeout=30)
            time.sleep(0.5)
    finally:
        summary = finish(run, built)
    assert relay.damaged == 60
    cam = summary.cameras[0]
    assert cam.error is None
    frames = recorded_frames(tmp_path / "rec")
    assert len(frames) == cam.frames_out >= 45
    assert_all_hidden(frames, "recorded")
    assert cam.decode_errors + cam.blanked_by_reason["corrupt"] > 0 or cam.frames_in < 60


def test_hls_source_over_http(clip_ts: Path, tmp_path: Path) -> None:
    with ffmpeg_hls(clip_ts, tmp_path / "hls"), http_folder(tmp_path / "hls") as base:
        run, built = start(
            StreamRequest(source=f"{base}/live.m3u8", record=tmp_path / "rec", options=OPTIONS)
        )
        try:
            wait_frames(run, 20, timeout=40)
        finally:
            summary = finish(run, built)
    cam = summary.cameras[0]
    assert cam.error is None
    frames = recorded_frames(tmp_path / "rec")
    assert len(frames) == cam.frames_out >= 20
    assert_all_hidden(frames, "recorded")


def test_stop_from_another_thread_ends_a_blocked_network_read_quickly(tmp_path: Path) -> None:
    """A camera that never sends anything: stopping still returns promptly and cleanly."""
    port = free_port(2)
    run, built = start(
        StreamRequest(source=f"udp://127.0.0.1:{port}", record=tmp_path / "rec", options=OPTIONS)
    )
    time.sleep(1.0)
    started = time.monotonic()
    stopper = threading.Timer(0.0, run.stop)
    stopper.start()
    summary = finish(run, built)
    assert time.monotonic() - started < 10
    assert summary.cameras[0].frames_out == 0 and summary.cameras[0].error is None
    assert segment_files(tmp_path / "rec") == []


def test_restream_pushed_as_mpegts_over_udp_plays(clip: Path, tmp_path: Path) -> None:
    port = free_port(2)
    seen: list[np.ndarray] = []
    errors: list[str] = []

    def view() -> None:
        try:
            seen.extend(decode_frames(f"udp://127.0.0.1:{port}", limit=15, timeout=(20, 5)))
        except Exception as exc:  # reported below
            errors.append(str(exc))

    viewer = threading.Thread(target=view, daemon=True)
    viewer.start()
    time.sleep(0.5)
    run, built = start(
        StreamRequest(
            source=str(clip), restream=f"udp://127.0.0.1:{port}?pkt_size=1316", options=OPTIONS
        )
    )
    try:
        viewer.join(30)
    finally:
        summary = finish(run, built)
    assert not errors and len(seen) == 15, errors
    assert_all_hidden(seen, "restream")
    assert summary.cameras[0].error is None
