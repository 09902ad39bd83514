"""Encoder preset: x264 presets at Veil's default crf, encode CPU time against quality (SSIM).

For each preset, Veil's own :class:`veil.media.video.VideoWriter` re-encodes the 60 s 720p loop
of ``bench/blur_bench.py`` (no detection) in a fresh process, which reports its CPU time (user +
system, all threads); a decode-only run gives the decoding share, subtracted to leave the
encoder's. Quality is ffmpeg's ``ssim`` filter against the ``medium`` output and against the
source, over every frame. CPU seconds, not wall time, are the measure: on a shared machine they
move far less with other load.

Usage: ``.venv/bin/python bench/preset_bench.py [--presets ultrafast,...] [--seconds 60]``;
prints a markdown table (for BENCHMARKS.md, "Encoder preset").
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import WORK, command_line, machine_markdown, markdown_table, veil_python

PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium")


def encode_main(source: Path, target: Path, preset: str | None, crf: int) -> None:
    """Decode ``source`` and (unless ``preset`` is None) encode it; print CPU and wall seconds."""
    from veil.media.video import StreamPacket, VideoFrame, VideoReader, VideoWriter

    started = time.perf_counter()
    frames = 0
    with VideoReader(source, passthrough=False) as reader:
        writer = None if preset is None else VideoWriter(target, reader, crf=crf, preset=preset)
        for item in reader.items():
            if isinstance(item, VideoFrame):
                frames += 1
                if writer is not None:
                    writer.write_frame(item)
            elif isinstance(item, StreamPacket) and writer is not None:
                writer.copy_packet(item)
        if writer is not None:
            writer.finish()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.perf_counter() - started
    print(json.dumps({"cpu": usage.ru_utime + usage.ru_stime, "wall": wall, "frames": frames}))


def measure(source: Path, target: Path, preset: str | None, crf: int) -> dict[str, float]:
    """One run in a fresh process."""
    argv = [
        str(veil_python()),
        __file__,
        "--encode",
        str(source),
        str(target),
        str(preset),
        str(crf),
    ]
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def ssim(distorted: Path, reference: Path, ffmpeg: str) -> float:
    """ffmpeg's SSIM (All) of ``distorted`` against ``reference``, every frame."""
    argv = [ffmpeg, "-hide_banner", "-nostats", "-i", str(distorted), "-i", str(reference)]
    argv += ["-lavfi", "[0:v][1:v]ssim", "-f", "null", "-"]
    done = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"All:([0-9.]+)", done.stderr)
    if found is None:
        raise RuntimeError(f"no SSIM in ffmpeg's output: {done.stderr[-500:]}")
    return float(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encode", nargs=4, metavar=("SOURCE", "TARGET", "PRESET", "CRF"))
    parser.add_argument("--presets", default=",".join(PRESETS))
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--crf", type=int, default=20)
    args = parser.parse_args()
    if args.encode:
        source, target, preset, crf = args.encode
        encode_main(Path(source), Path(target), None if preset == "None" else preset, int(crf))
        return
    import blur_bench as b

    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise SystemExit("ffmpeg is needed for the SSIM filter")
    WORK.mkdir(parents=True, exist_ok=True)
    clip = b.loop_clip(b.VIDEO, WORK / f"videocall_{args.seconds}s.mp4", args.seconds)
    decode = measure(clip, WORK / "unused.mp4", None, args.crf)
    presets = args.presets.split(",")
    runs = {p: measure(clip, WORK / f"preset-{p}.mp4", p, args.crf) for p in presets}
    reference = WORK / "preset-medium.mp4"
    rows = []
    for p in presets:
        out = WORK / f"preset-{p}.mp4"
        encode_cpu = runs[p]["cpu"] - decode["cpu"]
        frames = runs[p]["frames"]
        rows.append(
            [
                p,
                f"{encode_cpu:.1f}",
                f"{frames / encode_cpu:.0f}",
                f"{frames / runs[p]['wall']:.0f}",
                f"{out.stat().st_size * 8 / args.seconds / 1e6:.2f}",
                f"{ssim(out, clip, ffmpeg):.4f}",
                f"{ssim(out, reference, ffmpeg):.4f}" if reference.exists() else "-",
            ]
        )
    header = ["preset", "encode CPU s", "fps per core", "fps wall", "Mbit/s"]
    header += ["SSIM vs source", "SSIM vs medium"]
    print(machine_markdown())
    print(
        f"Clip: {command_line([clip])}, {int(runs[presets[0]]['frames'])} frames, crf {args.crf};"
    )
    print(f"decode alone: {decode['cpu']:.1f} CPU s (subtracted).\n")
    print(markdown_table(header, rows))


if __name__ == "__main__":
    main()
