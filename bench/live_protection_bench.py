"""Protection of every delivered frame: ``veil blur``, ``veil stream`` in real time, and deface.

The clip (``bench/live_clip.py``) pans and zooms over WIDER FACE photos with hard cuts between
them, carries the labelled boxes into every frame and draws the frame number as a barcode. Each
tool redacts with a solid black mask (same geometry as its blur), and every frame it delivers is
scored against that frame's labels:

- a labelled face of 32 px or more (short side) is *protected* when at least 80% of its
  informative pixels (grey >= 40 in the clip) are black (grey < 24) in the output; a blanked
  frame protects all its faces;
- ``veil blur`` and deface keep every frame, in order; ``veil stream FILE --record DIR`` (the
  file played at its own rate) may drop frames: each recorded frame is numbered by its
  timestamp, each segment anchored by the barcode most of its frames agree on (a false mask over
  the strip changes a code; a blanked frame has none); dropped frames are counted, never
  misaligned;
- faces touching the barcode strip are not scored.

Usage: ``.venv/bin/python bench/live_protection_bench.py [--shots 12] [--fps 30] [--height 720]
[--no-deface]``; prints the table (for BENCHMARKS.md, "Live protection"). deface runs when
``bench/setup_peers.sh`` has installed it, unless ``--no-deface``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PEERS, WORK, command_line, machine_markdown, markdown_table, veil_python
from live_clip import write_clip
from stream_bench import read_code

DEFACE = PEERS / "deface-venv" / "bin" / "deface"
MIN_FACE = 32.0
COVERAGE = 0.8


@dataclass
class Score:
    """One tool's counts over the clip."""

    tool: str
    command: str
    frames: int  # frames of the clip
    delivered: int = 0
    blanked: int = 0
    unidentified: int = 0  # barcodes that disagreed with the timestamps
    faces: int = 0  # scored face-frames in delivered frames
    protected: int = 0
    cut_faces: int = 0  # the same, in the first frame of each shot
    cut_protected: int = 0
    seconds: float = 0.0
    per_frame: list[float] = field(default_factory=list)

    def row(self) -> list[str]:
        def pct(a: int, b: int) -> str:
            return f"{100 * a / b:.1f}%" if b else "-"

        return [
            self.tool,
            pct(self.protected, self.faces),
            pct(self.cut_protected, self.cut_faces),
            f"{self.delivered}/{self.frames} ({pct(self.delivered, self.frames)})",
            str(self.frames - self.delivered),
            str(self.blanked),
            str(self.faces),
            f"{self.seconds:.0f}",
        ]


def grey(pixels: np.ndarray) -> np.ndarray:
    import cv2

    return np.asarray(cv2.cvtColor(pixels, cv2.COLOR_BGR2GRAY))


def frames_of(path: Path) -> Iterator[np.ndarray]:
    import av

    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            yield frame.to_ndarray(format="bgr24")


def protected_faces(source: np.ndarray, output: np.ndarray, boxes: np.ndarray) -> list[bool]:
    """Whether each box (x1 y1 x2 y2) is protected in ``output`` (see the module docstring)."""
    result = []
    masked = output < 24
    informative = source >= 40
    for x1, y1, x2, y2 in np.asarray(boxes).reshape(-1, 4):
        rows, cols = slice(round(y1), round(y2)), slice(round(x1), round(x2))
        info = informative[rows, cols]
        if not info.any():
            info = np.ones_like(info)
        result.append(float((masked[rows, cols] & info).sum()) / float(info.sum()) >= COVERAGE)
    return result


def score(
    tool: str, command: str, clip: Path, truth: dict, delivered: Iterator[tuple[int, np.ndarray]]
) -> Score:
    """Score delivered (frame number, pixels) pairs, in increasing frame order."""
    records = truth["frames"]
    result = Score(tool, command, len(records))
    source_frames = enumerate(frames_of(clip))
    for number, output in delivered:
        index, source = next(source_frames)
        while index < number:
            index, source = next(source_frames)
        result.delivered += 1
        record = records[number]
        boxes = np.array(record["boxes"], np.float32).reshape(-1, 4)
        sizes = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
        boxes = boxes[sizes >= MIN_FACE]
        out_grey = grey(output)
        blank = float(np.percentile(out_grey[::8, ::8], 99)) < 16.0  # wholly black
        result.blanked += int(blank)
        flags = [True] * len(boxes) if blank else protected_faces(grey(source), out_grey, boxes)
        result.faces += len(flags)
        result.protected += sum(flags)
        if record["cut"]:
            result.cut_faces += len(flags)
            result.cut_protected += sum(flags)
    return result


def numbered(segments: list[Path], fps: int) -> tuple[list[tuple[int, np.ndarray]], int]:
    """Recorded frames with their clip frame numbers, and how many barcodes disagreed.

    A segment's timestamps count from its first frame; its offset in the clip is the barcode
    reading most of its frames agree on (a mask over part of the strip can change a code, a
    blanked frame has none), so each frame's number is ``offset + round(time * fps)``."""
    import av

    pairs: list[tuple[int, np.ndarray]] = []
    disagreed = 0
    for segment in segments:
        with av.open(str(segment)) as container:
            frames = [
                (round(float(f.time or 0.0) * fps), f.to_ndarray(format="bgr24"))
                for f in container.decode(video=0)
            ]
        votes: dict[int, int] = {}
        for step, pixels in frames:
            code = read_code(pixels)
            if code is not None:
                votes[code - step] = votes.get(code - step, 0) + 1
        offset = max(votes, key=lambda k: votes[k]) if votes else 0
        disagreed += sum(votes.values()) - votes.get(offset, 0)
        pairs += [(offset + step, pixels) for step, pixels in frames]
    pairs = [p for i, p in enumerate(pairs) if i == 0 or p[0] > pairs[i - 1][0]]
    return pairs, disagreed


def run(argv: list[str | Path]) -> tuple[float, str]:
    import time

    started = time.perf_counter()
    done = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=7200)
    if done.returncode not in (0,):
        raise RuntimeError(f"{command_line(argv)} exited {done.returncode}: {done.stderr[-1500:]}")
    return time.perf_counter() - started, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, default=12)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--height", type=int, choices=(720, 1080), default=720,
                        help="720 (1280x720, the default) or 1080 (1920x1080)")  # fmt: skip
    parser.add_argument("--no-deface", action="store_true",
                        help="skip deface (it runs about 8x slower than veil)")  # fmt: skip
    args = parser.parse_args()
    size = (1280, 720) if args.height == 720 else (1920, 1080)
    WORK.mkdir(parents=True, exist_ok=True)
    clip = WORK / f"live_clip_{args.shots}_{args.height}p{args.fps}.mp4"
    truth_path = clip.with_suffix(".json")
    if not clip.exists() or not truth_path.exists():
        write_clip(clip, truth_path, shots=args.shots, fps=args.fps, size=size)
    truth = json.loads(truth_path.read_text())
    frames = len(truth["frames"])
    veil = [veil_python(), "-m", "veil.cli.main"]
    scores = []
    kept = WORK / "live-out"  # outputs are kept for a look (bench/.work is not tracked)
    shutil.rmtree(kept, ignore_errors=True)
    kept.mkdir()
    out = kept / "blur.mp4"
    argv = [*veil, "blur", clip, "-o", out, "--mode", "solid", "--quiet", "--overwrite"]
    seconds, _ = run(argv)
    s = score("veil blur", command_line(argv[2:]), clip, truth, enumerate(frames_of(out)))
    s.seconds = seconds
    scores.append(s)
    record = kept / "rec"
    argv = [*veil, "stream", clip, "--record", record, "--mode", "solid", "--quiet"]
    argv += ["--segment-seconds", "3600", "--json"]
    seconds, stdout = run(argv)
    camera = json.loads(stdout)["cameras"][0]
    live = {k: camera[k] for k in ("frames_in", "frames_out", "frames_dropped", "detections")}
    live["blanked"] = camera["blanked_by_reason"]
    pairs, unread = numbered(sorted(record.rglob("*.mp4")), args.fps)
    s = score("veil stream (real time)", command_line(argv[2:]), clip, truth, iter(pairs))
    s.unidentified, s.seconds = unread, seconds
    scores.append(s)
    if DEFACE.exists() and not args.no_deface:
        out = kept / "deface.mp4"
        argv = [DEFACE, clip, "-o", out, "--replacewith", "solid"]
        seconds, _ = run(argv)
        s = score("deface", command_line(argv), clip, truth, enumerate(frames_of(out)))
        s.seconds = seconds
        scores.append(s)
    cuts = sum(1 for r in truth["frames"] if r["cut"])
    print(machine_markdown())
    print(f"Clip: {args.shots} shots ({cuts} cuts), {frames} frames, {size[0]}x{size[1]} at "
          f"{args.fps} fps.\n")  # fmt: skip
    header = ["tool", "protected (faces >= 32 px)", "at cuts", "frames delivered", "dropped"]
    header += ["blanked", "face-frames", "seconds"]
    print(markdown_table(header, [s.row() for s in scores]))
    print()
    for s in scores:
        print(
            f"- {s.tool}: `{s.command}`"
            + (
                f" ({s.unidentified} barcodes disagreed with the timestamps)"
                if s.unidentified
                else ""
            )
        )
    print(f"- veil stream's own counts: {json.dumps(live)}")
    if not DEFACE.exists():
        print("- deface: not installed (bench/setup_peers.sh), skipped")


if __name__ == "__main__":
    main()
