"""CPU milliseconds per frame for each stage of ``veil blur`` at its defaults, at 720p and 1080p.

Usage: .venv/bin/python bench/stage_cpu.py [--frames N] [--detector-threads T] [--precision P]
[--full-every 1,16]

The stages run one after another over the same N frames held in memory, each timed with
``time.process_time`` (CPU of every thread of the process: FFmpeg's decoder and x264's threads,
onnxruntime's or OpenVINO's), so each stage's CPU is its own, unlike in the overlapped pipeline:

- decode: ``VideoReader`` (PyAV, ``thread_type="AUTO"``) to upright BGR frames;
- detect: CenterFace at the defaults on the frames ``veil blur`` detects on, full-frame or regional
  passes as its schedule plans them (:mod:`veil.detection_schedule`: every 2nd frame and scene
  cuts; a full pass once in ``--full-every`` frames, 16 by default; 1 is full passes only),
  planning included, per detection and per frame;
- track+redact: the shared frame step (tracker, face policy, blur) on every frame, timed apart
  from detection in the same loop (a regional pass needs the tracks);
- encode: ``VideoWriter`` at the defaults (x264 ``veryfast``, ``--crf 20``).

30 fps on 2 cores leaves 66.7 CPU ms per frame for all of them together. Results print as a
Markdown table and go to bench/results/stage_cpu.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from common import RESULTS, SHARED_DATA, WORK, machine_info

CLIP = SHARED_DATA / "faces" / "videos" / "videocall_1280x720.mp4"
BUDGET_MS = 2 * 1000 / 30  # 2 cores at 30 fps


def timed(work: Callable[..., Any], *args: Any) -> tuple[Any, float, float]:
    """``work(*args)``, its CPU seconds (all threads) and wall seconds."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = work(*args)
    return result, time.process_time() - cpu, time.perf_counter() - wall


def clip_1080p() -> Path:
    """The 720p clip re-encoded at 1920x1080 (made once under bench/.work)."""
    from blur_bench import upscale_clip

    return upscale_clip(CLIP, WORK / "videocall_1920x1080.mp4")


def measure(
    path: Path, frames: int, threads: int, precision: str, full_every: int
) -> dict[str, float]:
    """CPU and wall milliseconds per frame of each stage on the first ``frames`` frames."""

    from veil.detection_schedule import DetectionPlan, DetectionSchedule
    from veil.framestep import FrameStep
    from veil.media.video import VideoFrame, VideoReader, VideoWriter
    from veil.vision.detections import Detections
    from veil.vision.detectors import DetectorSettings, get_detector
    from veil.vision.regions import warm_up
    from veil.vision.tracking import FaceTracker

    def decode() -> list[VideoFrame]:
        out: list[VideoFrame] = []
        with VideoReader(path, passthrough=False) as reader:
            for item in reader.items():
                if isinstance(item, VideoFrame):
                    out.append(item)
                    if len(out) == frames:
                        break
        return out

    decoded, decode_cpu, decode_wall = timed(decode)
    n = len(decoded)
    detector = get_detector("centerface", DetectorSettings(threads=threads, precision=precision))
    detector.detect(decoded[0].pixels.copy())  # warm up (graph optimisation, first allocation)
    warm_up(detector.detect)  # and on every regional canvas size (one runtime plan per size)
    schedule, step, tracker = DetectionSchedule(2, full_every), FrameStep(), FaceTracker()
    detect_cpu = detect_wall = redact_cpu = redact_wall = 0.0
    detections = regional = 0

    def detect(index: int, pixels: Any) -> tuple[DetectionPlan, Detections | None]:
        plan = schedule.plan(index, pixels, tracker.current())  # planning counts as detection
        if not plan.detect:
            return plan, None
        if plan.regions is None:
            return plan, step.detect(detector, pixels)
        return plan, step.detect_regions(detector, pixels, plan.regions)

    for index, frame in enumerate(decoded):
        (plan, found), cpu, wall = timed(detect, index, frame.pixels)
        detect_cpu, detect_wall = detect_cpu + cpu, detect_wall + wall
        detections += int(plan.detect)
        regional += int(plan.detect and not plan.full)
        _, cpu, wall = timed(step.finish, frame.pixels, found, tracker)
        redact_cpu, redact_wall = redact_cpu + cpu, redact_wall + wall

    def encode() -> None:
        with tempfile.TemporaryDirectory(dir=WORK) as folder, VideoReader(path) as reader:
            writer = VideoWriter(Path(folder) / "out.mp4", reader)
            for frame in decoded:
                writer.write_frame(frame)
            writer.finish()

    _, encode_cpu, encode_wall = timed(encode)
    per = 1000 / n
    return {
        "frames": n,
        "detections": detections,
        "regional": regional,
        "decode": decode_cpu * per,
        "detect_per_run": detect_cpu * 1000 / max(1, detections),
        "detect": detect_cpu * per,
        "redact": redact_cpu * per,
        "encode": encode_cpu * per,
        "total": (decode_cpu + detect_cpu + redact_cpu + encode_cpu) * per,
        "wall_total": (decode_wall + detect_wall + redact_wall + encode_wall) * per,
        "detect_wall_per_run": detect_wall * 1000 / max(1, detections),
    }


def table(rows: list[tuple[str, dict[str, float]]]) -> str:
    """The results as Markdown."""
    lines = [
        "| size | frames | decode | detections (regional) | detect (per run) | detect per frame | "
        "track+redact | encode (veryfast) | total CPU ms/frame | fits 30 fps on 2 cores |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['frames']:.0f} | {r['decode']:.1f} "
            f"| {r['detections']:.0f} ({r['regional']:.0f}) | {r['detect_per_run']:.1f} "
            f"| {r['detect']:.1f} | {r['redact']:.1f} | {r['encode']:.1f} | **{r['total']:.1f}** "
            f"| {'yes' if r['total'] <= BUDGET_MS else 'no'} ({BUDGET_MS:.1f} ms) |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=120, help="frames per size (held in memory)")
    parser.add_argument("--detector-threads", type=int, default=0, help="0: the runtime's default")
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--sizes", default="720p,1080p")
    parser.add_argument(
        "--full-every", default="1,16", help="schedules to compare (1: full passes only)"
    )
    args = parser.parse_args()
    os.environ["VEIL_HOME"] = str(WORK / "veil-home")
    os.environ["VEIL_CACHE"] = str(WORK / "model-cache")
    WORK.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    clips = {"720p": CLIP, "1080p": None}
    rows = []
    for size in args.sizes.split(","):
        path = clips[size] or clip_1080p()
        for every in (int(n) for n in args.full_every.split(",")):
            measured = measure(path, args.frames, args.detector_threads, args.precision, every)
            rows.append((f"{size}, --full-every {every}", measured))
    from veil.vision.detectors.centerface import resolve_precision

    info = machine_info()
    header = (
        f"{info['cpu']}, {info['cores']} cores; load average before {load_before[0]:.2f}, "
        f"after {os.getloadavg()[0]:.2f}; detector threads {args.detector_threads or 'default'}, "
        f"precision {args.precision} ({resolve_precision(args.precision)}); "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    text = f"{header}\n\n{table(rows)}\n"
    print(text)
    for name, r in rows:
        print(
            f"{name}: wall {r['wall_total']:.1f} ms/frame; detect wall {r['detect_wall_per_run']:.1f} ms/run"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "stage_cpu.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
