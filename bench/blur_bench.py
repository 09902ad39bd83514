"""Benchmark `veil blur` against deface: protection, throughput, memory and flicker, in one run.

What it measures (results in bench/results/blur.md, with every command):

1. Protected recall per face size on ../shared/data/faces/wider-dev and dlib-voc, Veil and deface
   scored by the same code (bench/blur_accuracy.py).
2. Frames per second of `veil blur` and `deface` on videocall_1280x720.mp4 (several settings) and
   on a 60 s clip made by looping it (bench/.work/; defaults only), next to the floor: PyAV
   decode + encode of the same video with Veil's encoder settings and no detection. Every run is
   a fresh process, timed wall-clock from start to exit (model loading included).
3. Protection on video, against a reference of confident faces: CenterFace at full resolution on
   every frame (score >= 0.5), linked into tracks, gaps of up to ``GAP_FILL`` frames filled by
   interpolation. A reference face is *protected* in a frame when >= 80% of its box lies under
   the tool's mask; *flicker frames* have a reference face left unprotected while it is present
   in both neighbouring frames. *Mask blinks* need no reference: frames where the tool's own mask
   switches off for one frame on a face it masks in the frames before and after. Measured on the
   720p clip and on hamilton_clip_640x360.mp4 (a crowd and motion), with and without tracking.
4. Peak memory (RSS of the whole process tree, sampled every 50 ms) on a 1080p clip made by
   upscaling the 720p one.

Usage: .venv/bin/python bench/blur_bench.py [--quick]
--quick scores the first 40 wider-dev images, times each video once and skips the 60 s clip
(about 10 minutes on 2 quiet cores); the full run takes about 35 minutes, most of it deface.
deface comes from bench/setup_peers.sh; without it the peer rows are left out. Runs use their own
VEIL_HOME under bench/.work, so they never write into a user's trace ledger.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import blur_accuracy as acc
from common import (
    PEERS,
    REPO,
    SHARED_DATA,
    WORK,
    Run,
    best_of,
    command_line,
    machine_info,
    machine_markdown,
    markdown_table,
    run_measured,
    veil_python,
    write_result,
)

VIDEO = SHARED_DATA / "faces" / "videos" / "videocall_1280x720.mp4"
WIDER = SHARED_DATA / "faces" / "wider-dev"
DLIB = SHARED_DATA / "faces" / "dlib-voc"
DEFACE = PEERS / "deface-venv" / "bin" / "deface"
LOOP_SECONDS = 60
GAP_FILL = 5  # frames a reference face may be missed and still be known to be there
REFERENCE_SCORE = 0.5
LINK_IOU = 0.3
COVERAGE = 0.8
QUICK_WIDER_IMAGES = 40


@dataclass(frozen=True)
class Setting:
    """One way of running a tool: its label, flags, and the still-image flags that match them."""

    tool: str  # "veil" or "deface"
    label: str
    flags: tuple[str, ...] = ()
    eval_flags: tuple[str, ...] = ()  # veil eval faces flags with the same detector and mask
    scale: str | None = None  # deface --scale
    video_only: bool = False  # no still-image equivalent (it changes only what video does)
    matchable: bool = True  # False: shown, but never offered as "matched protection"

    def veil_mask_scale(self) -> float:
        """The mask scale veil uses with these flags."""
        from veil.media_options import DEFAULTS

        flags = list(self.flags)
        if "--mask-scale" in flags:
            return float(flags[flags.index("--mask-scale") + 1])
        return float(DEFAULTS["mask_scale"])


# int8 keeps wider-dev's recall but loses faces in dark footage (the flicker clip shows it), so its
# speed is reported and never counted as matched protection.
INT8 = Setting(
    "veil",
    "--precision int8",
    ("--precision", "int8"),
    ("--precision", "int8"),
    matchable=False,
)
# The original network on onnxruntime: what the default (--precision auto) runs on CPUs without
# native bf16, and what bf16 is compared against.
FP32 = Setting("veil", "--precision fp32", ("--precision", "fp32"), ("--precision", "fp32"))
STILL_SETTINGS = (  # veil settings that change what a single image gets (scored on wider-dev)
    Setting("veil", "default"),
    FP32,
    INT8,
    Setting("veil", "--max-side 640", ("--max-side", "640"), ("--max-side", "640")),
)
VEIL_SETTINGS = (  # throughput on the 720p video
    Setting("veil", "default"),
    FP32,
    INT8,
    Setting("veil", "--detect-every 1", ("--detect-every", "1"), video_only=True),
    Setting("veil", "--detect-every 3", ("--detect-every", "3"), video_only=True),
    Setting("veil", "--max-side 640", ("--max-side", "640"), ("--max-side", "640")),
)
FLICKER_SETTINGS = (  # tracking on a clip with motion
    Setting("veil", "default"),
    FP32,
    Setting("veil", "--no-track", ("--no-track",), video_only=True),
    Setting("veil", "--detect-every 1", ("--detect-every", "1"), video_only=True),
    Setting("veil", "--detect-every 3", ("--detect-every", "3"), video_only=True),
    INT8,
)
DEFACE_SETTINGS = (
    Setting("deface", "default"),
    Setting("deface", "--scale 640x360", ("--scale", "640x360"), scale="640x360"),
)
FLICKER_VIDEO = SHARED_DATA / "faces" / "videos" / "hamilton_clip_640x360.mp4"


@dataclass
class VideoRow:
    """Throughput and protection of one setting on one video."""

    setting: Setting
    video: str
    frames: int
    run: Run
    protected: float | None = None
    flicker_frames: int | None = None
    unprotected_face_frames: int | None = None
    blink_frames: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def fps(self) -> float:
        """Frames per second, wall clock of the whole command."""
        return self.frames / self.run.seconds


# clips ------------------------------------------------------------------------------------------


def loop_clip(source: Path, target: Path, seconds: float) -> Path:
    """Concatenate ``source``'s video packets until ``seconds`` long (no re-encoding, no audio)."""
    import av

    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial.mp4")
    with av.open(str(source)) as probe:
        stream = probe.streams.video[0]
        duration = float(stream.duration * stream.time_base) if stream.duration else 0.0
        frames = stream.frames
    loops = max(1, int(np.ceil(seconds / duration))) if duration else 14
    out = av.open(str(partial), "w")
    try:
        out_stream = None
        offset = 0
        for _ in range(loops):
            with av.open(str(source)) as inp:
                video = inp.streams.video[0]
                if out_stream is None:
                    out_stream = out.add_stream_from_template(video)
                last = 0
                for packet in inp.demux(video):
                    if packet.dts is None:
                        continue
                    end = int(packet.pts or 0) + int(packet.duration or 0)
                    last = max(last, end)
                    packet.pts = None if packet.pts is None else packet.pts + offset
                    packet.dts = packet.dts + offset
                    packet.stream = out_stream
                    out.mux(packet)
                offset += last
    finally:
        out.close()
    partial.rename(target)
    del frames
    return target


def upscale_clip(source: Path, target: Path, size: tuple[int, int] = (1920, 1080)) -> Path:
    """Re-encode ``source`` at ``size`` (for the 1080p memory measurement)."""
    import av
    import cv2

    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial.mp4")
    with av.open(str(source)) as inp, av.open(str(partial), "w") as out:
        video = inp.streams.video[0]
        stream = out.add_stream("libx264", rate=video.average_rate or Fraction(30))
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.options = {"crf": "18", "preset": "fast"}
        for frame in inp.decode(video):
            pixels = cv2.resize(frame.to_ndarray(format="bgr24"), size)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="bgr24")))
        out.mux(stream.encode(None))
    partial.rename(target)
    return target


def count_frames(path: Path) -> int:
    """Decoded frame count."""
    sys.path.insert(0, str(REPO / "src"))
    from veil.media.video import count_frames as count

    return count(path)


# runs -------------------------------------------------------------------------------------------


def floor_main(source: Path, target: Path) -> None:
    """The floor: Veil's own PyAV reader and writer (same encoder, same settings), no detection."""
    from veil.media.video import StreamPacket, VideoFrame, VideoReader, VideoWriter

    with VideoReader(source) as reader:
        writer = VideoWriter(target, reader)
        for item in reader.items():
            if isinstance(item, VideoFrame):
                writer.write_frame(item)
            elif isinstance(item, StreamPacket):
                writer.copy_packet(item)
        writer.finish()


def floor_argv(source: Path, target: Path) -> list[str | Path]:
    """The command line of the floor run."""
    return [veil_python(), Path(__file__).resolve(), "--floor", source, target]


def veil_argv(setting: Setting, source: Path, target: Path, boxes: Path | None) -> list[str | Path]:
    """``veil blur`` for one setting."""
    argv: list[str | Path] = [veil_python(), "-m", "veil.cli.main", "blur", source, "-o", target]
    argv += ["--overwrite", "--quiet", *setting.flags]
    if boxes is not None:
        argv += ["--boxes-out", boxes]
    return argv


def deface_argv(setting: Setting, source: Path, target: Path) -> list[str | Path]:
    """``deface`` for one setting (its defaults: threshold 0.2, mask scale 1.3, blur, ellipse)."""
    return [DEFACE, source, "-o", target, *setting.flags]


def shown(argv: list[str | Path]) -> str:
    """A command as a user would type it."""
    parts = [str(a) for a in argv]
    if parts[:3] == [str(veil_python()), "-m", "veil.cli.main"]:
        parts = ["veil", *parts[3:]]
    if parts and parts[0] == str(DEFACE):
        parts[0] = "deface"
    return command_line(parts)


# the video reference and flicker ----------------------------------------------------------------


def reference_tracks(video: Path) -> list[dict[int, np.ndarray]]:
    """Confident faces per frame, linked into tracks, short gaps filled by interpolation."""
    from veil.media.video import VideoFrame, VideoReader
    from veil.vision.detections import box_iou
    from veil.vision.detectors import DetectorSettings, get_detector

    settings = DetectorSettings(threshold=REFERENCE_SCORE, precision="fp32")
    detector = get_detector("centerface", settings)
    per_frame: list[np.ndarray] = []
    with VideoReader(video, passthrough=False) as reader:
        for item in reader.items():
            if isinstance(item, VideoFrame):
                found = detector.detect(item.pixels).filter_score(REFERENCE_SCORE)
                per_frame.append(found.boxes.copy())
    tracks: list[dict[int, np.ndarray]] = []
    for t, boxes in enumerate(per_frame):
        taken: set[int] = set()
        live = [tr for tr in tracks if max(tr) >= t - GAP_FILL - 1]
        for box in boxes:
            best, best_iou = None, LINK_IOU
            for k, track in enumerate(live):
                if k in taken:
                    continue
                iou = float(box_iou(track[max(track)][None], box[None])[0, 0])
                if iou >= best_iou:
                    best, best_iou = k, iou
            if best is None:
                tracks.append({t: box})
            else:
                taken.add(best)
                live[best][t] = box
    for track in tracks:
        seen = sorted(track)
        for a, b in itertools.pairwise(seen):
            for t in range(a + 1, b):
                w = (t - a) / (b - a)
                track[t] = (1 - w) * track[a] + w * track[b]
    return [tr for tr in tracks if len(tr) >= 3]


def veil_masks(
    boxes_jsonl: Path, frames: int, height: int, width: int, mask_scale: float
) -> list[Any]:
    """Per-frame masks rendered by Veil's redaction code from ``--boxes-out``."""
    from veil.vision.detections import Detections
    from veil.vision.evaluation import redaction_mask
    from veil.vision.redact import RedactionSettings

    faces: dict[int, list[list[float]]] = {}
    blanked: set[int] = set()
    for line in boxes_jsonl.read_text().splitlines():
        record = json.loads(line)
        if record.get("blanked"):
            blanked.add(int(record["frame"]))
        faces[int(record["frame"])] = [f["box"] for f in record["faces"] if f.get("redacted", True)]
    settings = RedactionSettings(mask_scale=mask_scale)
    masks = []
    for t in range(frames):
        if t in blanked:
            masks.append(np.ones((height, width), bool))
            continue
        boxes = np.array(faces.get(t, []), np.float32).reshape(-1, 4)
        found = Detections(boxes, np.ones(len(boxes), np.float32))
        masks.append(redaction_mask(height, width, found, settings))
    return masks


def blinks(boxes: list[np.ndarray]) -> int:
    """Frames where a face the tool masked in both neighbouring frames is not masked.

    A face is "the same" in frames t-1 and t+1 when boxes overlap with IoU >= LINK_IOU; it is
    masked in frame t when a box there overlaps either of them that much. This needs no
    reference: it counts the mask blinking off in the tool's own output (deface's flicker).
    """
    from veil.vision.detections import box_iou

    count = 0
    for t in range(1, len(boxes) - 1):
        before, now, after = boxes[t - 1], boxes[t], boxes[t + 1]
        if not len(before) or not len(after):
            continue
        for i, j in np.argwhere(box_iou(before, after) >= LINK_IOU):
            seen = np.stack([before[i], after[j]])
            if not len(now) or box_iou(seen, now).max() < LINK_IOU:
                count += 1
                break
    return count


def veil_boxes(boxes_jsonl: Path, frames: int) -> list[np.ndarray]:
    """The boxes veil masked in each frame (from ``--boxes-out``)."""
    faces: dict[int, list[list[float]]] = {}
    for line in boxes_jsonl.read_text().splitlines():
        record = json.loads(line)
        faces[int(record["frame"])] = [f["box"] for f in record["faces"] if f.get("redacted")]
    return [np.array(faces.get(t, []), np.float32).reshape(-1, 4) for t in range(frames)]


def protection(tracks: list[dict[int, np.ndarray]], masks: list[Any]) -> tuple[float, int, int]:
    """(protected share of reference face-frames, flicker frames, unprotected face-frames)."""
    from veil.vision.evaluation import box_coverage

    total = protected = 0
    flicker: set[int] = set()
    for track in tracks:
        for t, box in track.items():
            if t >= len(masks):
                continue
            total += 1
            if box_coverage(masks[t], box[None])[0] >= COVERAGE:
                protected += 1
            elif t - 1 in track and t + 1 in track:
                flicker.add(t)
    return (protected / total if total else 1.0), len(flicker), total - protected


# the benchmark ----------------------------------------------------------------------------------


def accuracy(quick: bool) -> tuple[list[acc.Scores], list[acc.Scores]]:
    """Still-image protection on wider-dev (all or a prefix) and dlib-voc, both tools."""
    limit = QUICK_WIDER_IMAGES if quick else None
    wider: list[acc.Scores] = []
    dlib: list[acc.Scores] = []
    for setting in STILL_SETTINGS:
        wider.append(acc.veil_scores(WIDER, list(setting.eval_flags), setting.label, limit))
        dlib.append(acc.veil_scores(DLIB, list(setting.eval_flags), setting.label))
    if acc.deface_available():
        wider.append(acc.deface_scores(WIDER, "default", limit=limit))
        dlib.append(acc.deface_scores(DLIB, "default"))
    return wider, dlib


def video_rows(
    video: Path,
    name: str,
    repeats: int,
    with_masks: bool,
    veil_settings: tuple[Setting, ...] = VEIL_SETTINGS,
    deface_settings: tuple[Setting, ...] = DEFACE_SETTINGS,
) -> list[VideoRow]:
    """Time every setting (and the floor) on one video; masks and flicker when asked."""
    frames = count_frames(video)
    out = WORK / "out"
    out.mkdir(parents=True, exist_ok=True)
    rows: list[VideoRow] = []
    floor_target = out / f"floor_{name}.mp4"
    floor = best_of(repeats, lambda: run_measured(floor_argv(video, floor_target)))
    rows.append(VideoRow(Setting("floor", "PyAV decode+encode"), name, frames, floor))
    tracks = reference_tracks(video) if with_masks else []
    height = width = 0
    if with_masks:
        from veil.media.video import probe_video

        info = probe_video(video)
        height, width = info.height, info.width
    for setting in veil_settings:
        target = out / f"veil_{name}_{len(rows)}.mp4"
        boxes = out / f"veil_{name}_{len(rows)}.jsonl" if with_masks else None
        argv = veil_argv(setting, video, target, boxes)
        print(f"blur_bench: {shown(argv)}", file=sys.stderr, flush=True)
        row = VideoRow(setting, name, frames, best_of(repeats, lambda a=argv: run_measured(a)))
        if boxes is not None:
            masks = veil_masks(boxes, frames, height, width, setting.veil_mask_scale())
            row.protected, row.flicker_frames, row.unprotected_face_frames = protection(
                tracks, masks
            )
            row.blink_frames = blinks(veil_boxes(boxes, frames))
        rows.append(row)
    if DEFACE.exists():
        for setting in deface_settings:
            target = out / f"deface_{name}_{len(rows)}.mp4"
            argv = deface_argv(setting, video, target)
            print(f"blur_bench: {shown(argv)}", file=sys.stderr, flush=True)
            row = VideoRow(setting, name, frames, best_of(repeats, lambda a=argv: run_measured(a)))
            if with_masks:
                npz = WORK / f"deface_masks_{name}_{setting.scale or 'full'}.npz"
                acc.run_deface_faces(video, npz, scale=setting.scale)
                _, masks, found = acc.load_masks(npz)
                row.protected, row.flicker_frames, row.unprotected_face_frames = protection(
                    tracks, masks
                )
                row.blink_frames = blinks([d[:, :4] for d in found])
            rows.append(row)
    if with_masks:
        rows[0].extra["reference_face_frames"] = sum(len(t) for t in tracks)
        rows[0].extra["reference_tracks"] = len(tracks)
    return rows


def memory_rows(video_1080: Path) -> list[VideoRow]:
    """Peak RSS of veil blur (default) and deface on the 1080p clip."""
    frames = count_frames(video_1080)
    out = WORK / "out"
    rows = [
        VideoRow(
            VEIL_SETTINGS[0],
            "1080p",
            frames,
            run_measured(
                veil_argv(VEIL_SETTINGS[0], video_1080, out / "veil_1080p.mp4", None)
            ).check(),
        )
    ]
    if DEFACE.exists():
        rows.append(
            VideoRow(
                DEFACE_SETTINGS[0],
                "1080p",
                frames,
                run_measured(
                    deface_argv(DEFACE_SETTINGS[0], video_1080, out / "deface_1080p.mp4")
                ).check(),
            )
        )
    return rows


# report -----------------------------------------------------------------------------------------


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "-"


def matched_pairs(
    wider: list[acc.Scores], rows: list[VideoRow]
) -> tuple[VideoRow | None, VideoRow | None]:
    """The fastest veil setting whose protection matches deface's default, and deface's default.

    Matching means: protected recall on wider-dev >= deface's in every size bucket (video-only
    settings share the default's still-image figures) and protected recall on the video >=
    deface's.
    """
    deface_still = next((s for s in wider if s.tool == "deface" and s.label == "default"), None)
    deface_row = next(
        (r for r in rows if r.setting.tool == "deface" and r.setting.label == "default"), None
    )
    if deface_still is None or deface_row is None:
        return None, None
    by_label = {s.label: s for s in wider if s.tool == "veil"}
    best: VideoRow | None = None
    for row in rows:
        if row.setting.tool != "veil" or not row.setting.matchable:
            continue
        still = by_label.get("default" if row.setting.video_only else row.setting.label)
        if still is None or not acc.meets(still, deface_still):
            continue
        if (row.protected or 0.0) < (deface_row.protected or 0.0):
            continue
        if best is None or row.fps > best.fps:
            best = row
    return best, deface_row


def video_table(rows: list[VideoRow], floor: VideoRow, deface: VideoRow | None) -> str:
    """Markdown rows: fps, ratios, protection on the video, flicker."""
    header = ["tool", "settings", "frames", "seconds", "fps", "vs deface", "floor / this"]
    with_masks = any(r.protected is not None for r in rows)
    if with_masks:
        header += [
            "protected on video",
            "unprotected face-frames",
            "flicker frames (reference)",
            "mask blinks",
        ]
    body = []
    for r in rows:
        line = [
            r.setting.tool,
            r.setting.label,
            r.frames,
            f"{r.run.seconds:.1f}",
            f"{r.fps:.1f}",
            _ratio(r.fps, deface.fps) if deface is not None else "-",
            _ratio(floor.fps, r.fps),
        ]
        if with_masks:
            line += [
                "-" if r.protected is None else f"{100 * r.protected:.1f}%",
                "-" if r.unprotected_face_frames is None else r.unprotected_face_frames,
                "-" if r.flicker_frames is None else r.flicker_frames,
                "-" if r.blink_frames is None else r.blink_frames,
            ]
        body.append(line)
    return markdown_table(header, body)


def commands_list(rows: list[VideoRow]) -> str:
    """Every timed command, once."""
    seen: dict[str, None] = {}
    for r in rows:
        seen[shown(list(r.run.argv))] = None
    return "\n".join(f"    {c}" for c in seen)


def default_precision() -> str:
    """What ``--precision auto`` resolves to here, said in words."""
    from veil.vision.detectors.centerface import resolve_precision

    if resolve_precision("auto") == "bf16":
        return "bf16 on OpenVINO (the CPU computes bf16 natively)"
    return "fp32 on onnxruntime (no native bf16 here)"


def report(
    quick: bool,
    info: dict[str, str],
    wider: list[acc.Scores],
    dlib: list[acc.Scores],
    short: list[VideoRow],
    long: list[VideoRow],
    memory: list[VideoRow],
    flicker: list[VideoRow],
    argv: list[str],
) -> str:
    """bench/results/blur.md."""
    lines: list[str] = ["# `veil blur` beside deface: protection, speed, memory, flicker", ""]
    lines += [
        f"Machine: {machine_markdown(info)}.",
        f"Command: `{command_line(argv)}` ({'quick' if quick else 'full'} run). "
        "Peer: deface 1.5.0 with onnxruntime in bench/.peers/deface-venv (bench/setup_peers.sh). "
        "Timings are wall clock of whole commands (model loading included; the int8 model is made "
        "once before timing, as on a machine's first run), best of the repeats; "
        "figures taken while other work shares the 2 cores are noisy. "
        f"veil's default `--precision auto` runs {default_precision()} on this machine.",
        "",
    ]
    limit_note = f" (first {QUICK_WIDER_IMAGES} images)" if quick else ""
    lines += [f"## Protected recall on still images: wider-dev{limit_note}", ""]
    lines += [
        "A labelled face is protected when >= 80% of its box lies under the mask actually drawn. "
        "Columns: face short side in px (number of faces).",
        "",
        acc.comparison_table(wider),
        "",
        "Recall at IoU 0.5:",
        "",
        acc.comparison_table(wider, "recall_iou50"),
        "",
        "Precision (WIDER labels most faces, so this is meaningful here):",
        "",
        acc.comparison_table(wider, "precision"),
        "",
        "## Protected recall on still images: dlib-voc",
        "",
        acc.comparison_table(dlib),
        "",
        "Commands:",
        "",
        *[f"    {s.command}" for s in wider + dlib],
        "",
    ]
    deface_still = next((s for s in wider if s.tool == "deface"), None)
    veil_default = next(s for s in wider if s.tool == "veil" and s.label == "default")
    if deface_still is not None:
        ok = acc.meets(veil_default, deface_still)
        lines.append(
            f"- Target, protected recall >= deface's in every size bucket on wider-dev: "
            f"**{'met' if ok else 'not met'}** by veil's defaults."
        )
    big = veil_default.protected(">=32")
    lines += [
        f"- Target, protected recall >= 97% for faces >= 32 px{' (judge on the full set, not the quick subset)' if quick else ''}: "
        f"**{'met' if big is not None and big >= 0.97 else 'not met'}** ({acc.pct(big)}).",
        "",
    ]
    for rows, title in ((short, "videocall_1280x720.mp4"), (long, f"{LOOP_SECONDS} s loop of it")):
        if not rows:
            continue
        floor = rows[0]
        best, deface_row = matched_pairs(wider, rows)
        lines += [f"## Throughput: {title} ({floor.frames} frames, 1280x720)", ""]
        lines.append(video_table(rows, floor, deface_row))
        lines.append("")
        if rows[0].extra.get("reference_tracks") is not None:
            lines.append(
                f"Reference for 'protected on video': {rows[0].extra['reference_tracks']} face "
                f"tracks, {rows[0].extra['reference_face_frames']} face-frames (CenterFace fp32, "
                f"full resolution, score >= {REFERENCE_SCORE}, gaps up to {GAP_FILL} frames filled). "
                "Flicker frames: a reference face present in both neighbouring frames is left "
                "unprotected. Mask blinks: the tool's own mask switches off for one frame on a face "
                "it masks in both neighbouring frames."
            )
            lines.append("")
        if best is not None and deface_row is not None:
            lines.append(
                f"- At matched protection (veil `{best.setting.label}` meets or beats deface's "
                f"default in every wider-dev bucket and on the video): veil {best.fps:.1f} fps vs "
                f"deface {deface_row.fps:.1f} fps = **{_ratio(best.fps, deface_row.fps)}** "
                f"(target >= 3x); the floor is {floor.fps:.1f} fps, "
                f"**{_ratio(floor.fps, best.fps)}** of veil's time (target <= 3x)."
            )
        elif deface_row is not None:
            lines.append("- No veil setting measured here matches deface's protection.")
        lines += ["", "Commands:", "", commands_list(rows), ""]
    if flicker:
        floor = flicker[0]
        lines += [
            f"## Tracking and flicker: {FLICKER_VIDEO.name} ({floor.frames} frames, 640x360, "
            "a performer moving)",
            "",
            video_table(
                flicker, floor, next((r for r in flicker if r.setting.tool == "deface"), None)
            ),
            "",
            f"Reference: {floor.extra.get('reference_tracks')} face tracks, "
            f"{floor.extra.get('reference_face_frames')} face-frames (CenterFace fp32 at full "
            f"resolution on every frame, score >= {REFERENCE_SCORE}, gaps up to {GAP_FILL} frames filled). "
            "A face-frame is protected when >= 80% of the reference box is under the mask the tool "
            "drew; a reference flicker frame has a reference face left unprotected while it is "
            "present in both neighbouring frames. *Mask blinks* need no reference: frames where "
            "the tool masked a face in both neighbouring frames (boxes overlapping, IoU >= "
            f"{LINK_IOU}) but not in this one, i.e. the face pops into view for a frame. deface's "
            "masks are recorded by bench/deface_faces.py on the same decoded frames (deface itself "
            "reads at a constant frame rate and writes extra, repeated frames: 300 for this "
            "clip's 275).",
            "",
            "Commands:",
            "",
            commands_list(flicker),
            "",
        ]
    if memory:
        lines += ["## Peak memory on 1080p input", ""]
        lines.append(
            markdown_table(
                ["tool", "frames", "peak RSS (process tree)", "seconds"],
                [
                    [
                        r.setting.tool,
                        r.frames,
                        f"{r.run.peak_rss_mb:.0f} MB",
                        f"{r.run.seconds:.1f}",
                    ]
                    for r in memory
                ],
            )
        )
        peak = memory[0].run.peak_rss_mb
        lines += [
            "",
            f"- Target, peak memory < 1.5 GB on 1080p: **{'met' if peak < 1536 else 'not met'}** "
            f"({peak:.0f} MB).",
            "",
            "Commands:",
            "",
            commands_list(memory),
            "",
        ]
    return "\n".join(lines)


def isolate_veil() -> None:
    """A Veil home and model cache of the benchmark's own, under bench/.work.

    Benchmark runs never log into the user's trace ledger, and the int8 model they make stays here.
    """
    os.environ["VEIL_HOME"] = str(WORK / "veil-home")
    os.environ.pop("VEIL_DB", None)
    os.environ["VEIL_CACHE"] = str(WORK / "model-cache")


def main() -> None:
    parser = argparse.ArgumentParser(description="veil blur vs deface: protection, fps, memory.")
    parser.add_argument("--quick", action="store_true", help="short run (minutes)")
    parser.add_argument(
        "--floor", nargs=2, type=Path, metavar=("IN", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.floor:
        floor_main(*args.floor)
        return
    if not VIDEO.exists():
        print(f"blur_bench: {SHARED_DATA} not found; nothing to measure", file=sys.stderr)
        sys.exit(0)
    sys.path.insert(0, str(REPO / "src"))
    isolate_veil()
    # The int8 detector is made once per machine (a few seconds); make it before any timing.
    from veil.vision.detectors import DetectorSettings, get_detector

    get_detector("centerface", DetectorSettings(precision="int8"))
    info = machine_info()
    WORK.mkdir(parents=True, exist_ok=True)
    long_clip = loop_clip(VIDEO, WORK / f"videocall_{LOOP_SECONDS}s.mp4", LOOP_SECONDS)
    clip_1080 = upscale_clip(VIDEO, WORK / "videocall_1920x1080.mp4")
    print("blur_bench: accuracy", file=sys.stderr, flush=True)
    wider, dlib = accuracy(args.quick)
    print("blur_bench: 720p video", file=sys.stderr, flush=True)
    short = video_rows(VIDEO, "720p", 1 if args.quick else 2, with_masks=True)
    long: list[VideoRow] = []
    if not args.quick:
        print("blur_bench: 60 s video", file=sys.stderr, flush=True)
        # Defaults and fp32 only: every row here costs minutes (deface runs at about 3 fps).
        long = video_rows(long_clip, "60s", 1, False, VEIL_SETTINGS[:2], DEFACE_SETTINGS[:1])
    print("blur_bench: flicker", file=sys.stderr, flush=True)
    flicker = video_rows(FLICKER_VIDEO, "flicker", 1, True, FLICKER_SETTINGS, DEFACE_SETTINGS[:1])
    print("blur_bench: 1080p memory", file=sys.stderr, flush=True)
    memory = memory_rows(clip_1080)
    text = report(
        args.quick, info, wider, dlib, short, long, memory, flicker, ["python", *sys.argv]
    )
    target = write_result("blur", text + "\n")
    print(text)
    print(f"blur_bench: wrote {target}", file=sys.stderr)


if __name__ == "__main__":
    main()
