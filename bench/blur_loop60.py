"""Only the 60 s loop of bench/blur_bench.py: floor, veil default and fp32, deface default.

Usage: .venv/bin/python bench/blur_loop60.py (about 12 minutes; prints the table). The quick run of
blur_bench.py skips this clip and the full run takes about 40 minutes, so this is the short way
to get the headline throughput ratio.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import blur_bench as b


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    b.isolate_veil()
    b.WORK.mkdir(parents=True, exist_ok=True)
    clip = b.loop_clip(b.VIDEO, b.WORK / f"videocall_{b.LOOP_SECONDS}s.mp4", b.LOOP_SECONDS)
    rows = b.video_rows(clip, "60s", 1, False, b.VEIL_SETTINGS[:2], b.DEFACE_SETTINGS[:1])
    deface = next((r for r in rows if r.setting.tool == "deface"), None)
    print(b.video_table(rows, rows[0], deface))
    print(f"veil's default --precision auto runs {b.default_precision()} on this machine.")


if __name__ == "__main__":
    main()
