"""Run deface on a labelled folder (or a video) exactly as `deface` would, and save what it hides.

Runs inside bench/.peers/deface-venv (made by bench/setup_peers.sh), never in Veil's environment.
For each image named in DIR/boxes.csv (or each frame of a video) it calls deface's own code path:
imageio reads the image (RGB), deface's CenterFace (its default backend, full resolution unless
--scale is given, as `deface --scale WxH`) detects at the given threshold, and deface's
anonymize_frame draws the mask with the given mask scale and ellipse. To record the mask rather
than a blurred picture, anonymize_frame runs on a black frame with the blur replaced by a white
fill: every pixel deface would blur becomes 255. Geometry (scale_bb, clipping, skimage ellipse)
is deface's own.

The output .npz holds, per image or frame i: dets_i (x1, y1, x2, y2, score), mask_i (packed
bits of the mask) and shape_i (height, width); plus names, settings and detect_seconds.

Usage: deface-venv/bin/python bench/deface_faces.py DIR|VIDEO OUT.npz [--thresh 0.2]
       [--mask-scale 1.3] [--scale WxH] [--limit N]
"""

from __future__ import annotations

import argparse
import csv
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import imageio.v2 as iio
import numpy as np
from deface import deface as deface_cli
from deface.centerface import CenterFace


def labelled_images(directory: Path, limit: int | None) -> Iterator[tuple[str, np.ndarray]]:
    """The images of DIR/boxes.csv, in file order, read as deface reads them."""
    with open(directory / "boxes.csv", newline="") as handle:
        names = list(dict.fromkeys(row["image"] for row in csv.DictReader(handle)))
    for name in names[:limit]:
        yield name, iio.imread(directory / name)


def video_frames(path: Path, limit: int | None) -> Iterator[tuple[str, np.ndarray]]:
    """The frames of a video as stored (imageio-ffmpeg, RGB), one per decoded frame.

    `deface VIDEO` reads at a constant frame rate, which repeats frames where timestamps start
    late or jump (it writes 300 frames for hamilton_clip's 275); here every stored frame is read
    once, so frame i is the frame i other tools see, and masks can be compared frame by frame.
    """
    reader = iio.get_reader(str(path), output_params=["-fps_mode", "passthrough"])
    try:
        for i, frame in enumerate(reader.iter_data()):
            if limit is not None and i >= limit:
                break
            yield f"frame{i:06d}", frame
    finally:
        reader.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("source", type=Path, help="labelled folder (boxes.csv) or a video file")
    parser.add_argument("out", type=Path)
    parser.add_argument("--thresh", type=float, default=0.2)  # deface's default
    parser.add_argument("--mask-scale", type=float, default=1.3)  # deface's default
    parser.add_argument("--scale", default=None, help="WxH, as deface --scale")
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    in_shape = tuple(int(v) for v in args.scale.split("x")) if args.scale else None
    centerface = CenterFace(in_shape=in_shape, backend="auto")
    frames = (
        labelled_images(args.source, args.limit)
        if args.source.is_dir()
        else video_frames(args.source, args.limit)
    )
    real_blur = cv2.blur
    arrays: dict[str, np.ndarray] = {}
    names: list[str] = []
    detect_seconds = 0.0
    try:
        cv2.blur = lambda src, ksize: np.full_like(src, 255)  # record, don't blur
        for i, (name, frame) in enumerate(frames):
            names.append(name)
            started = time.perf_counter()
            dets, _ = centerface(frame, threshold=args.thresh)
            detect_seconds += time.perf_counter() - started
            canvas = np.zeros((frame.shape[0], frame.shape[1], 3), np.uint8)
            deface_cli.anonymize_frame(
                dets, canvas, mask_scale=args.mask_scale, replacewith="blur", ellipse=True,
                draw_scores=False, replaceimg=None, mosaicsize=20,
            )  # fmt: skip
            arrays[f"dets_{i}"] = np.asarray(dets, np.float32).reshape(-1, 5)
            arrays[f"mask_{i}"] = np.packbits(canvas[:, :, 0] > 0, axis=None)
            arrays[f"shape_{i}"] = np.array(canvas.shape[:2])
    finally:
        cv2.blur = real_blur
    arrays["names"] = np.array(names)
    arrays["settings"] = np.array([args.thresh, args.mask_scale])
    arrays["detect_seconds"] = np.array(detect_seconds)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    print(f"deface: {len(names)} frames, {detect_seconds:.1f} s detection -> {args.out}")


if __name__ == "__main__":
    main()
