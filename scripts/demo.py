"""`make demo`: anonymize real photos that ship with scikit-image, and a short video made from them.

Writes inputs to demo-output/inputs/, runs `veil blur` on them (the same command a user runs) and
prints where the anonymized copies are.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from skimage import data

ROOT = Path(__file__).resolve().parents[1] / "demo-output"
SAMPLES = {"astronaut.png": data.astronaut, "coffee.png": data.coffee, "chelsea.png": data.chelsea}


def write_photos(folder: Path) -> list[np.ndarray]:
    """Save scikit-image's sample photos (astronaut: a face; coffee, cat: no person)."""
    frames = []
    for name, load in SAMPLES.items():
        rgb = load()
        cv2.imwrite(str(folder / name), rgb[:, :, ::-1])
        frames.append(rgb[:, :, ::-1])
    return frames


def write_video(path: Path, photo: np.ndarray, seconds: int = 3, fps: int = 25) -> None:
    """A 640x360 clip: the astronaut's photo panning and zooming, with a 440 Hz tone."""
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = 640, 360, "yuv420p"
        audio = container.add_stream("aac", rate=44100)
        per_frame = 44100 // fps
        for i in range(seconds * fps):
            zoom = 1.0 + 0.3 * i / (seconds * fps)
            size = int(360 * zoom)
            face = cv2.resize(photo, (size, size))[:360, :360]
            canvas = np.full((360, 640, 3), 30, np.uint8)
            x = int(280 * i / (seconds * fps))
            canvas[:, x : x + 360] = face
            frame = av.VideoFrame.from_ndarray(canvas, format="bgr24")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            container.mux(video.encode(frame))
            t = np.arange(i * per_frame, (i + 1) * per_frame)
            tone = (0.2 * np.sin(2 * np.pi * 440 * t / 44100)).astype(np.float32)[None, :]
            samples = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
            samples.sample_rate, samples.pts = 44100, i * per_frame
            container.mux(audio.encode(samples))
        container.mux(video.encode(None))
        container.mux(audio.encode(None))


def main() -> int:
    if ROOT.exists():
        shutil.rmtree(ROOT)
    inputs = ROOT / "inputs"
    inputs.mkdir(parents=True)
    photos = write_photos(inputs)
    write_video(inputs / "astronaut_pan.mp4", photos[0])
    veil = Path(sys.executable).with_name("veil")
    command = [
        str(veil),
        "blur",
        str(inputs),
        "-o",
        str(ROOT / "anonymized"),
        "--boxes-out",
        str(ROOT / "boxes.jsonl"),
    ]
    print("$", " ".join(command), flush=True)
    status = subprocess.run(command, check=False).returncode
    print(
        f"\nInputs:      {inputs}\nAnonymized:  {ROOT / 'anonymized'}\nFaces found: {ROOT / 'boxes.jsonl'}"
    )
    return status


if __name__ == "__main__":
    sys.exit(main())
