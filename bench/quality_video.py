"""`--quality thorough` on video: face-frames protected against the default (fast) preset.

Runs bench/blur_bench.py's video measurement (reference tracks from CenterFace fp32 at full
resolution, a face-frame protected when >= 80% of its box is under the mask) with the default
and with `--quality thorough` on the hamilton and egoblur selfie clips, and prints one table.

Usage: .venv/bin/python bench/quality_video.py [--clips hamilton,selfie]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import blur_bench as b

CLIPS = {
    "hamilton": b.SHARED_DATA / "faces" / "videos" / "hamilton_clip_640x360.mp4",
    "selfie": b.SHARED_DATA / "faces" / "videos" / "egoblur_selfie_608x1080.mp4",
    "fisheye": b.SHARED_DATA / "faces" / "videos" / "egoblur_fisheye_2560x1920.mp4",
}
SETTINGS = (
    b.Setting("veil", "default (fast)"),
    b.Setting("veil", "--quality thorough", ("--quality", "thorough"), video_only=True),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--clips", default="hamilton,selfie", help="comma-separated: " + ",".join(CLIPS)
    )
    args = parser.parse_args()
    b.isolate_veil()
    b.WORK.mkdir(parents=True, exist_ok=True)
    lines = [
        "| clip | settings | frames | fps | protected face-frames | unprotected face-frames |",
        "|---|---|---|---|---|---|",
    ]
    for name in args.clips.split(","):
        clip = CLIPS[name]
        if not clip.exists():
            print(f"quality_video: {clip} not found; skipped", file=sys.stderr)
            continue
        rows = b.video_rows(clip, name, 1, True, SETTINGS, ())
        for row in rows[1:]:
            fps = row.frames / row.run.seconds
            lines.append(
                f"| {name} | {row.setting.label} | {row.frames} | {fps:.1f} | "
                f"{row.protected:.1%} | {row.unprotected_face_frames} |"
            )
        print("\n".join(lines), flush=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
