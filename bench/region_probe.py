"""Regional detection between full passes, measured against today's schedule on the same frames.

Issue 15 needs detection cheaper on two cores without protecting less. This probe runs the
detector and the tracker (no decode, no encode, no real time) over the live bench's clip
(``bench/live_clip.py``: pans and zooms over WIDER FACE photos with hard cuts, a ground-truth box
for every face in every frame) and over the 720p video call, through the engine's schedule
(:class:`veil.detection_schedule.DetectionSchedule`) and frame step, two ways:

- ``today``: ``--full-every 1``, a full-frame detection on every 2nd frame and on every scene
  cut, the tracker carrying faces between (the schedule before regional passes);
- ``regions``: ``veil blur``'s default, on the same frames a full pass once every
  ``--full-every`` frames, on cuts, and whenever the planned regions would cost too much or fit
  no canvas; else a regional pass (:mod:`veil.vision.regions`: crops around tracked faces,
  shrunk to about 80 px a face, and crops at ``--motion-scale`` where the picture moved by more
  than ``--motion-level`` since the last pass outside them, packed onto one canvas).

Reported per schedule: detector CPU ms per frame (``process_time``, all threads, frames decoded
beforehand, the detector warmed up on every input size first), full and regional passes, and
the share of faces of 32 px or more protected (80% of a 9 x 9 grid of points in the face's box
inside a mask ellipse: the box grown by the default mask scale, as ``veil blur`` draws it),
overall and in the first frame of each shot. On the live clip the faces are its labels; the
video call has none, so its faces are those a full-frame detection finds in every frame.

Usage: ``.venv/bin/python bench/region_probe.py [--shots 16] [--full-every 16]
[--motion-scale 0.5] [--motion-level 16] [--frames N]`` (the defaults are ``veil blur``'s) (the clip is made by
``bench/live_protection_bench.py`` or here, under bench/.work).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from common import SHARED_DATA, WORK, machine_markdown, markdown_table
from veil.vision.regions import RegionSettings

CALL = SHARED_DATA / "faces" / "videos" / "videocall_1280x720.mp4"
MIN_FACE = 32.0
GRID = np.linspace(0.05, 0.95, 9)
MOTION_SCALE = RegionSettings.motion_scale
MOTION_LEVEL = RegionSettings.motion


@dataclass
class Tally:
    """One schedule's counts over one clip."""

    frames: int = 0
    full: int = 0
    regional: int = 0
    detect_cpu: float = 0.0
    faces: int = 0
    protected: int = 0
    cut_faces: int = 0
    cut_protected: int = 0


def frames_of(path: Path, limit: int | None) -> Iterator[np.ndarray]:
    from veil.media.video import VideoFrame, VideoReader

    n = 0
    with VideoReader(path, passthrough=False) as reader:
        for item in reader.items():
            if isinstance(item, VideoFrame):
                yield item.pixels
                n += 1
                if limit is not None and n >= limit:
                    return


def covered(truth: np.ndarray, masks: np.ndarray) -> bool:
    """Whether 80% of a grid of points in the labelled box lie inside some mask ellipse."""
    xs = truth[0] + GRID * (truth[2] - truth[0])
    ys = truth[1] + GRID * (truth[3] - truth[1])
    px, py = np.meshgrid(xs, ys)
    inside = np.zeros(px.shape, dtype=bool)
    for m in masks:
        cx, cy = (m[0] + m[2]) / 2, (m[1] + m[3]) / 2
        rx, ry = max((m[2] - m[0]) / 2, 1e-6), max((m[3] - m[1]) / 2, 1e-6)
        inside |= ((px - cx) / rx) ** 2 + ((py - cy) / ry) ** 2 <= 1.0
    return float(inside.mean()) >= 0.8


def score(tally: Tally, record: dict[str, object], masks: np.ndarray) -> None:
    """Count one frame's labelled faces of 32 px or more, and those the masks protect."""
    for box in np.asarray(record["boxes"], np.float64).reshape(-1, 4):
        if min(box[2] - box[0], box[3] - box[1]) < MIN_FACE:
            continue
        ok = covered(box, masks)
        tally.faces += 1
        tally.protected += int(ok)
        if record["cut"]:
            tally.cut_faces += 1
            tally.cut_protected += int(ok)


def run(path: Path, truth: list[dict[str, object]] | None, full_every: int,
        limit: int | None) -> Tally:  # fmt: skip
    """One schedule over one clip: the engine's (:class:`veil.detection_schedule.
    DetectionSchedule` and the shared frame step), with a full pass once in ``full_every``
    frames (1: full passes only)."""
    from veil.detection_schedule import DetectionSchedule
    from veil.framestep import FrameStep
    from veil.vision.detectors import DetectorSettings, get_detector
    from veil.vision.redact import RedactionSettings
    from veil.vision.regions import RegionSettings, warm_up
    from veil.vision.tracking import FaceTracker

    detector = get_detector("centerface", DetectorSettings())
    mask_scale = RedactionSettings().mask_scale
    settings = RegionSettings(motion_scale=MOTION_SCALE, motion=MOTION_LEVEL)
    schedule, step, tracker = DetectionSchedule(2, full_every, settings), FrameStep(), FaceTracker()
    tally = Tally()
    frames = list(frames_of(path, limit))  # decoded first: no decoder threads in the timings
    for i, frame in enumerate(frames):
        if i == 0:  # warm up, not counted: the full frame and every canvas size
            detector.detect(frame)
            warm_up(detector.detect)
        started = time.process_time()
        plan = schedule.plan(i, frame, tracker.current())
        faces = None
        if plan.full:
            faces = tracker.update(step.detect(detector, frame))
        elif plan.regions is not None:
            faces = tracker.update(step.detect_regions(detector, frame, plan.regions))
        tally.detect_cpu += time.process_time() - started
        if faces is None:
            faces = tracker.predict()
        tally.frames += 1
        tally.full += int(plan.full)
        tally.regional += int(plan.detect and not plan.full)
        if truth is not None:
            score(tally, truth[i], faces.expanded(mask_scale).boxes)
    return tally


def reference(path: Path, limit: int | None) -> list[dict[str, object]]:
    """Stand-in labels for a clip without any: the faces a full-frame detection finds in every
    frame (what the schedules are measured against on the video call)."""
    from veil.framestep import detect_faces
    from veil.vision.detectors import DetectorSettings, get_detector

    detector = get_detector("centerface", DetectorSettings())
    threshold = DetectorSettings().threshold
    return [
        {"boxes": detect_faces(detector, f, threshold).boxes.tolist(), "cut": False}
        for f in frames_of(path, limit)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, default=16)
    parser.add_argument("--full-every", type=int, default=16)
    parser.add_argument("--frames", type=int, default=None, help="only the first N frames")
    parser.add_argument("--motion-scale", type=float, default=RegionSettings.motion_scale)
    parser.add_argument("--motion-level", type=float, default=RegionSettings.motion)
    args = parser.parse_args()
    global MOTION_SCALE, MOTION_LEVEL
    MOTION_SCALE, MOTION_LEVEL = args.motion_scale, args.motion_level
    clip = WORK / f"live_clip_{args.shots}_720p30.mp4"
    truth_path = clip.with_suffix(".json")
    if not clip.exists() or not truth_path.exists():
        from live_clip import write_clip

        WORK.mkdir(parents=True, exist_ok=True)
        write_clip(clip, truth_path, shots=args.shots, fps=30, size=(1280, 720))
    truth = json.loads(truth_path.read_text())["frames"]
    rows = []
    clips = (
        ("live clip (labelled)", clip, truth),
        ("video call (vs detection on every frame)", CALL, reference(CALL, args.frames)),
    )
    for name, path, labels in clips:
        for schedule, full_every in (("today", 1), ("regions", args.full_every)):
            t = run(path, labels, full_every, args.frames)
            pct = lambda a, b: f"{100 * a / b:.1f}%" if b else "-"  # noqa: E731
            rows.append([name, schedule, t.frames, t.full, t.regional,
                         f"{1000 * t.detect_cpu / max(t.frames, 1):.1f}",
                         pct(t.protected, t.faces), pct(t.cut_protected, t.cut_faces), t.faces])  # fmt: skip
            print(rows[-1], flush=True)
    print(machine_markdown())
    print(f"\n`python bench/region_probe.py --shots {args.shots} --full-every {args.full_every} "
          f"--motion-scale {args.motion_scale} --motion-level {args.motion_level}`\n")  # fmt: skip
    header = ["clip", "schedule", "frames", "full passes", "regional passes",
              "detect CPU ms/frame", "protected (>= 32 px)", "at cuts", "face-frames"]  # fmt: skip
    print(markdown_table(header, rows))


if __name__ == "__main__":
    main()
