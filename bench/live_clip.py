"""A labelled clip made from WIDER FACE photos: pans, zooms and hard cuts, ground truth per frame.

Each *shot* shows one photo through a moving 16:9 window (a pan across it, a zoom in or out, or a
slow drift), scaled to the clip's size; shots follow each other with hard cuts. The labelled boxes
of the photo are carried through the same window into every frame, and every frame carries its
number as a 16-bit barcode in the top-left corner (``stream_bench.draw_code``); faces touching
the barcode strip are left out of scoring. Deterministic for a given seed.

Used by ``bench/live_protection_bench.py``; ``python bench/live_clip.py`` prints the scene-cut
scores of cut frames and of moving frames (how ``veil.vision.scenecut``'s thresholds were chosen).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, SHARED_DATA
from stream_bench import BITS, CELL, draw_code

sys.path.insert(0, str(REPO / "src"))
from veil.vision.evaluation import LabelledImage, read_boxes_csv

WIDER = SHARED_DATA / "faces" / "wider-dev"
STRIP = (0, 0, 8 + BITS * CELL + 8, 8 + CELL + 8)  # x1 y1 x2 y2 of the barcode, excluded
MOTIONS = ("pan", "zoom-in", "zoom-out", "pan-back", "drift")


@dataclass(frozen=True)
class Shot:
    """One photo shown through a window moving from ``start`` to ``end`` (x, y, width)."""

    image: LabelledImage
    start: tuple[float, float, float]
    end: tuple[float, float, float]
    frames: int
    motion: str


@dataclass
class LabelledFrame:
    """One frame: BGR pixels, its faces (x1 y1 x2 y2, scored ones), whether it starts a shot."""

    index: int
    pixels: np.ndarray
    boxes: np.ndarray
    cut: bool


def _window(
    rng: np.random.Generator, w: int, h: int, aspect: float, share: float
) -> tuple[float, float, float]:
    cw = min(w * share, h * aspect)
    ch = cw / aspect
    return float(rng.uniform(0, w - cw)), float(rng.uniform(0, h - ch)), float(cw)


def plan_shots(
    images: list[LabelledImage],
    *,
    shots: int,
    fps: int,
    size: tuple[int, int],
    seed: int = 15,
) -> list[Shot]:
    """``shots`` shots of 1.5 to 3 s over photos picked at random, each with a motion."""
    import cv2

    rng = np.random.default_rng(seed)
    aspect = size[0] / size[1]
    chosen = rng.choice(len(images), size=shots, replace=len(images) < shots)
    plan: list[Shot] = []
    for n, i in enumerate(chosen):
        image = images[int(i)]
        h, w = cv2.imread(str(image.path), cv2.IMREAD_REDUCED_GRAYSCALE_8).shape[:2]
        w, h = w * 8, h * 8
        motion = MOTIONS[n % len(MOTIONS)]
        frames = int(rng.integers(int(1.5 * fps), 3 * fps + 1))
        if motion in ("pan", "pan-back"):
            a = _window(rng, w, h, aspect, 0.6)
            y = a[1]
            start = (0.0, y, a[2])
            end = (float(w - a[2]), y, a[2])
            if motion == "pan-back":
                start, end = end, start
        elif motion in ("zoom-in", "zoom-out"):
            wide = _window(rng, w, h, aspect, 1.0)
            cx = wide[0] + wide[2] / 2
            cy = wide[1] + wide[2] / aspect / 2
            tight_w = wide[2] * 0.55
            tight = (cx - tight_w / 2, cy - tight_w / aspect / 2, tight_w)
            start, end = (wide, tight) if motion == "zoom-in" else (tight, wide)
        else:
            start = _window(rng, w, h, aspect, 0.8)
            end = (start[0] + float(rng.uniform(-20, 20)), start[1], start[2])
            end = (min(max(end[0], 0.0), w - start[2]), end[1], end[2])
        plan.append(Shot(image, start, end, frames, motion))
    return plan


def render(plan: list[Shot], size: tuple[int, int]) -> Iterator[LabelledFrame]:
    """Every frame of the planned shots, with barcode and carried boxes."""
    import cv2

    width, height = size
    index = 0
    for shot in plan:
        photo = cv2.imread(str(shot.image.path), cv2.IMREAD_COLOR)
        boxes = shot.image.boxes[~shot.image.ignore]
        for f in range(shot.frames):
            t = f / max(1, shot.frames - 1)
            x, y, cw = (a + (b - a) * t for a, b in zip(shot.start, shot.end, strict=True))
            scale = width / cw
            matrix = np.array([[scale, 0, -x * scale], [0, scale, -y * scale]], np.float64)
            pixels = cv2.warpAffine(photo, matrix, (width, height), flags=cv2.INTER_LINEAR)
            draw_code(pixels, index)
            moved = (boxes - np.array([x, y, x, y], np.float32)) * scale
            yield LabelledFrame(index, pixels, _scored(moved, width, height), f == 0)
            index += 1


def _scored(boxes: np.ndarray, width: int, height: int) -> np.ndarray:
    """Boxes wholly inside the frame and clear of the barcode strip."""
    x1, y1, x2, y2 = boxes.T if len(boxes) else (np.zeros(0),) * 4
    inside = (x1 >= 0) & (y1 >= 0) & (x2 <= width) & (y2 <= height)
    sx1, sy1, sx2, sy2 = STRIP
    clear = (x1 >= sx2) | (y1 >= sy2) | (x2 <= sx1) | (y2 <= sy1)
    return np.asarray(boxes[inside & clear], np.float32).reshape(-1, 4)


def wider_images() -> list[LabelledImage]:
    """The WIDER dev photos with at least one scored face."""
    return [im for im in read_boxes_csv(WIDER) if int((~im.ignore).sum())]


def write_clip(
    path: Path, truth: Path, *, shots: int, fps: int, size: tuple[int, int], seed: int = 15
) -> int:
    """Encode the clip (x264 crf 16, near lossless) and its per-frame boxes (JSON); frames."""
    import av

    plan = plan_shots(wider_images(), shots=shots, fps=fps, size=size, seed=seed)
    records: list[dict[str, object]] = []
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.options = {"crf": "16", "preset": "veryfast", "bf": "0"}
        stream.codec_context.gop_size = fps
        for frame in render(plan, size):
            video = av.VideoFrame.from_ndarray(frame.pixels, format="bgr24")
            video.pts = frame.index
            video.time_base = Fraction(1, fps)
            container.mux(stream.encode(video))
            records.append(
                {"index": frame.index, "cut": frame.cut, "boxes": frame.boxes.round(1).tolist()}
            )
        container.mux(stream.encode(None))
    truth.write_text(json.dumps({"fps": fps, "size": size, "frames": records}), encoding="utf-8")
    return len(records)


def cut_statistics(fps: int = 30, size: tuple[int, int] = (1280, 720)) -> None:
    """Print the scene-cut scores of cut frames and of the frames within shots (three clips:
    40 shots seed 99, 16 shots seed 15 (the live bench's), 40 shots seed 7)."""
    from veil.vision.scenecut import cut_scores, thumbnail

    cuts: list[tuple[float, float]] = []
    moves: dict[str, list[tuple[float, float]]] = {}
    for seed, shots in ((99, 40), (15, 16), (7, 40)):
        plan = plan_shots(wider_images(), shots=shots, fps=fps, size=size, seed=seed)
        previous = None
        motion_of = [s.motion for s in plan for _ in range(s.frames)]
        for frame in render(plan, size):
            current = thumbnail(frame.pixels)
            if previous is not None:
                scores = cut_scores(previous, current)
                if frame.cut:
                    cuts.append(scores)
                else:
                    moves.setdefault(motion_of[frame.index], []).append(scores)
            previous = current
    c = np.array(cuts)
    print(f"cuts {len(c)}: hist min {c[:, 0].min():.3f} p10 {np.percentile(c[:, 0], 10):.3f}")
    print(f"      mad min {c[:, 1].min():.1f} p10 {np.percentile(c[:, 1], 10):.1f}")
    print("      lowest (hist, mad):", sorted(cuts, key=lambda s: s[1])[:5])
    for motion, values in moves.items():
        m = np.array(values)
        both = m[(m[:, 0] >= 0.35) & (m[:, 1] >= 20)]
        print(
            f"{motion:9s} {len(m)}: hist max {m[:, 0].max():.3f} mad max {m[:, 1].max():.1f} "
            f"(cut by the thresholds 0.35 / 20: {len(both)})"
        )


if __name__ == "__main__":
    cut_statistics()
