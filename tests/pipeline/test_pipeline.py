from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import av
import numpy as np
import pytest

from veil.errors import ConfigError
from veil.media.images import read_image, write_image
from veil.media.video import count_frames
from veil.pipeline import (
    AnonymizeOptions,
    Anonymizer,
    FrameReport,
    MediaKind,
    Status,
    plan_outputs,
    run_batch,
)
from veil.vision.detections import Detections
from veil.vision.policy import FaceDecisions, Frame

FACE = (slice(76, 166), slice(180, 265))  # the astronaut's face (rows, cols)


class FixedDetector:
    """Reports one face at a fixed box: isolates pipeline behaviour from the network."""

    name = "fixed"

    def __init__(self, box: tuple[float, float, float, float] = (180, 76, 265, 166)) -> None:
        self.box = box
        self.calls = 0

    def detect(self, frame: Frame) -> Detections:
        self.calls += 1
        return Detections([self.box], [0.9])


class FlakyDetector(FixedDetector):
    """Raises on every third call, as a crashing model would."""

    def detect(self, frame: Frame) -> Detections:
        self.calls += 1
        if self.calls % 3 == 0:
            raise RuntimeError("inference failed")
        return Detections([self.box], [0.9])


class GarbageDetector(FixedDetector):
    def detect(self, frame: Frame) -> Detections:
        return [[1, 2, 3]]  # type: ignore[return-value]


class KeepEverything:
    def decide(self, frame: Frame, detections: Detections) -> FaceDecisions:
        return FaceDecisions(np.zeros(len(detections), bool), ["member"] * len(detections))


class BrokenPolicy:
    def decide(self, frame: Frame, detections: Detections) -> FaceDecisions:
        raise RuntimeError("registry unavailable")


def blank_frames(video: Path) -> list[int]:
    """Indexes of the frames of ``video`` that are (almost) black: blanked by fail-closed."""
    with av.open(str(video)) as container:
        means = [f.to_ndarray(format="gray").mean() for f in container.decode(video=0)]
    return [i for i, m in enumerate(means) if m < 3]


def detail(region: np.ndarray) -> float:
    return float(np.abs(np.diff(region.astype(float), axis=1)).mean())


def test_image_face_is_redacted_and_the_rest_kept(
    tmp_path: Path, astronaut_bgr: np.ndarray
) -> None:
    write_image(tmp_path / "a.png", astronaut_bgr)
    result = Anonymizer().anonymize_image(tmp_path / "a.png", tmp_path / "out.png")
    assert result.status is Status.OK and result.faces_redacted == 1 and result.frames_blanked == 0
    out = read_image(tmp_path / "out.png").pixels
    assert detail(out[FACE]) < 0.3 * detail(astronaut_bgr[FACE])
    assert np.array_equal(out[300:], astronaut_bgr[300:])


@pytest.mark.parametrize("detector", [FlakyDetector(), GarbageDetector()])
def test_failed_detection_blanks_the_image(
    tmp_path: Path, astronaut_bgr: np.ndarray, detector: FixedDetector
) -> None:
    write_image(tmp_path / "a.png", astronaut_bgr)
    detector.calls = 2  # the flaky one fails on its next call
    result = Anonymizer(detector=detector).anonymize_image(tmp_path / "a.png", tmp_path / "out.png")
    assert result.frames_blanked == 1
    assert not read_image(tmp_path / "out.png").pixels.any()


def test_policy_failure_redacts_every_face(astronaut_bgr: np.ndarray) -> None:
    kept, _ = Anonymizer(detector=FixedDetector(), policy=KeepEverything()).anonymize_frame(
        astronaut_bgr.copy()
    )
    assert np.array_equal(kept, astronaut_bgr)
    hidden, report = Anonymizer(detector=FixedDetector(), policy=BrokenPolicy()).anonymize_frame(
        astronaut_bgr.copy()
    )
    assert report.decisions.redact.all()
    assert detail(hidden[FACE]) < 0.3 * detail(astronaut_bgr[FACE])


def test_video_every_frame_redacted_counts_and_audio_kept(
    tmp_path: Path, make_video: Callable[..., Path]
) -> None:
    source = make_video(tmp_path / "in.mp4", frames=24, audio=True)
    reports: list[FrameReport] = []
    anonymizer = Anonymizer(observer=reports.append)
    result = anonymizer.anonymize_video(source, tmp_path / "out.mp4")
    assert result.frames == 24 == count_frames(tmp_path / "out.mp4")
    assert result.audio_packets > 0 and result.frames_blanked == 0
    assert all(len(r.faces) >= 1 for r in reports)
    with av.open(str(source)) as a, av.open(str(tmp_path / "out.mp4")) as b:
        for before, after, report in zip(
            a.decode(video=0), b.decode(video=0), reports, strict=True
        ):
            x1, y1, x2, y2 = report.faces.boxes[0].astype(int)
            inner = (
                slice(y1 + (y2 - y1) // 4, y2 - (y2 - y1) // 4),
                slice(x1 + (x2 - x1) // 4, x2 - (x2 - x1) // 4),
            )
            original = before.to_ndarray(format="bgr24")[inner]
            redacted = after.to_ndarray(format="bgr24")[inner]
            assert detail(redacted) < 0.5 * detail(original)


def test_video_frames_whose_detection_fails_are_blanked(
    tmp_path: Path, make_video: Callable[..., Path]
) -> None:
    source = make_video(tmp_path / "in.mp4", frames=12)
    options = AnonymizeOptions(detect_every=1)
    result = Anonymizer(options, detector=FlakyDetector()).anonymize_video(
        source, tmp_path / "out.mp4"
    )
    assert result.frames == 12 and result.frames_blanked == 4
    assert blank_frames(tmp_path / "out.mp4") == [2, 5, 8, 11]


def test_frames_whose_redaction_fails_are_blanked(
    tmp_path: Path, make_video: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import veil.framestep

    calls = 0

    def flaky_redact(frame: Frame, *args: object) -> Frame:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise ValueError("bad box")
        return frame

    monkeypatch.setattr(veil.framestep, "redact_faces", flaky_redact)
    source = make_video(tmp_path / "in.mp4", frames=4)
    options = AnonymizeOptions(detect_every=1)
    result = Anonymizer(options, detector=FixedDetector()).anonymize_video(
        source, tmp_path / "out.mp4"
    )
    assert result.frames == 4 and result.frames_blanked == 1
    assert blank_frames(tmp_path / "out.mp4") == [1]


@pytest.mark.timeout(60)
def test_a_reader_failing_mid_video_fails_the_file_without_hanging(
    tmp_path: Path, make_video: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from veil.errors import MediaError
    from veil.media.video import VideoReader

    real_items = VideoReader.items

    def cut_short(self: VideoReader) -> Iterator[object]:
        for count, item in enumerate(real_items(self)):
            if count == 5:
                raise MediaError("stream cut")
            yield item

    monkeypatch.setattr(VideoReader, "items", cut_short)
    source = make_video(tmp_path / "in.mp4", frames=12)
    with pytest.raises(MediaError, match="stream cut"):
        Anonymizer(detector=FixedDetector()).anonymize_video(source, tmp_path / "out.mp4")
    assert not (tmp_path / "out.mp4").exists()


def test_a_failed_detection_is_followed_by_a_detection_not_a_skip(
    tmp_path: Path, make_video: Callable[..., Path]
) -> None:
    source = make_video(tmp_path / "in.mp4", frames=12)
    reports: list[FrameReport] = []
    options = AnonymizeOptions(detect_every=4, full_every=1)  # the fake answers whole frames
    detector = FlakyDetector((100, 60, 180, 160))
    Anonymizer(options, detector=detector, observer=reports.append).anonymize_video(
        source, tmp_path / "out.mp4"
    )
    # Calls 1, 2 on frames 0, 4; call 3 fails on frame 8, so frame 9 is detected (call 4).
    assert detector.calls == 4
    assert [r.index for r in reports if r.blanked] == [8]
    assert all(r.decisions.redact.sum() == 1 for r in reports if not r.blanked)


def test_tracking_holds_faces_the_detector_skips(
    tmp_path: Path, make_video: Callable[..., Path]
) -> None:
    source = make_video(tmp_path / "in.mp4", frames=12)
    detector = FixedDetector((100, 60, 180, 160))
    reports: list[FrameReport] = []
    options = AnonymizeOptions(detect_every=3, full_every=1)  # the fake answers whole frames
    Anonymizer(options, detector=detector, observer=reports.append).anonymize_video(
        source, tmp_path / "out.mp4"
    )
    assert detector.calls == 4
    assert all(len(r.faces) == 1 and r.decisions.redact.all() for r in reports)


def test_without_tracking_every_frame_is_detected_whatever_detect_every(
    tmp_path: Path, make_video: Callable[..., Path]
) -> None:
    """A skipped frame is only safe when a tracker carries the faces through it."""
    source = make_video(tmp_path / "in.mp4", frames=12)
    detector = FixedDetector((100, 60, 180, 160))
    reports: list[FrameReport] = []
    options = AnonymizeOptions(detect_every=3, tracking=None)
    Anonymizer(options, detector=detector, observer=reports.append).anonymize_video(
        source, tmp_path / "out.mp4"
    )
    assert detector.calls == 12
    assert len(reports) == 12 and all(r.decisions.redact.sum() == 1 for r in reports)


def test_plan_outputs_mirrors_folders_and_rejects_collisions(tmp_path: Path) -> None:
    tree = tmp_path / "shots"
    (tree / "day1").mkdir(parents=True)
    for name in ("day1/a.jpg", "b.png", "notes.txt", "day1/clip.mp4"):
        (tree / name).write_bytes(b"x")
    jobs, problems = plan_outputs([tree], tmp_path / "out")
    assert {j.target.relative_to(tmp_path / "out").as_posix() for j in jobs} == {
        "day1/a.jpg",
        "b.png",
        "day1/clip.mp4",
    }
    assert {j.kind for j in jobs} == {MediaKind.IMAGE, MediaKind.VIDEO} and not problems
    jobs, problems = plan_outputs([tree / "b.png"], None)
    assert jobs[0].target == tree / "b_anonymized.png"
    jobs, problems = plan_outputs([tree / "notes.txt", tmp_path / "missing.jpg"], tmp_path / "out")
    assert not jobs and len(problems) == 2
    with pytest.raises(ConfigError, match="both be written"):
        plan_outputs([tree / "b.png", tree / "b.png"], tmp_path / "out")
    with pytest.raises(ConfigError, match="overwrite the input"):
        plan_outputs([tree / "b.png"], tree / "b.png")


def test_batch_goes_on_after_bad_files(
    tmp_path: Path, astronaut_bgr: np.ndarray, make_video: Callable[..., Path]
) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    write_image(inputs / "good.jpg", astronaut_bgr)
    (inputs / "zero.mp4").write_bytes(b"")
    (inputs / "fake.mp4").write_text("hello")
    (inputs / "cut.jpg").write_bytes((inputs / "good.jpg").read_bytes()[:2000])
    make_video(inputs / "clip.mp4", frames=6)
    jobs, _ = plan_outputs([inputs], tmp_path / "out")
    summary = run_batch(jobs, Anonymizer(detector=FixedDetector()))
    failed = {Path(f.input).name for f in summary.failed}
    assert failed == {"zero.mp4", "fake.mp4", "cut.jpg"}
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["clip.mp4", "good.jpg"]
    assert summary.totals()["ok"] == 2
