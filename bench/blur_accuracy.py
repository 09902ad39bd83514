"""Protected recall of `veil blur` and of deface on labelled folders, with the same scoring.

Veil is measured by its own command, ``veil eval faces DIR --json``. deface runs in its own
environment (bench/.peers/deface-venv) through ``bench/deface_faces.py``, which records the exact
mask deface draws and its detections; those are scored here by Veil's evaluation code
(:func:`veil.vision.evaluation.score_image`), so both tools meet the same 80%-coverage rule, the
same IoU matching and the same size buckets.

Standalone: ``.venv/bin/python bench/blur_accuracy.py ../shared/data/faces/wider-dev [--limit N]``
prints both tables. ``bench/blur_bench.py`` imports it.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BENCH, PEERS, WORK, command_line, python_in, run_measured, veil_python

DEFACE_VENV = PEERS / "deface-venv"
DEFACE_FACES = BENCH / "deface_faces.py"
BUCKETS = ("<16", "16-32", "32-64", ">=64", ">=32", "all")


@dataclass
class Scores:
    """One tool's per-bucket figures on one folder, and how they were made."""

    tool: str
    label: str
    command: str
    buckets: dict[str, dict[str, Any]]
    seconds: float

    def protected(self, bucket: str) -> float | None:
        """Protected recall in ``bucket`` (None when it has no faces)."""
        value = self.buckets[bucket]["protected_recall"]
        return None if value is None else float(value)


def veil_scores(folder: Path, flags: list[str], label: str, limit: int | None = None) -> Scores:
    """``veil eval faces FOLDER --json`` with ``flags``."""
    argv: list[str | Path] = [
        veil_python(),
        "-m",
        "veil.cli.main",
        "eval",
        "faces",
        folder,
        "--json",
    ]
    argv += flags
    if limit:
        argv += ["--limit", str(limit)]
    run = run_measured(argv).check()
    report = json.loads(run.stdout)
    shown = ["veil", "eval", "faces", folder, "--json", *flags] + (
        ["--limit", str(limit)] if limit else []
    )
    return Scores(
        "veil",
        label,
        command_line(shown),
        {b["bucket"]: b for b in report["buckets"]},
        float(report["seconds"]),
    )


def deface_available() -> bool:
    """Whether bench/setup_peers.sh has made deface's environment."""
    return python_in(DEFACE_VENV).exists()


def run_deface_faces(
    source: Path,
    out: Path,
    *,
    thresh: float = 0.2,
    mask_scale: float = 1.3,
    scale: str | None = None,
    limit: int | None = None,
) -> str:
    """Record deface's masks and detections for a folder or video into ``out``; the command."""
    argv: list[str | Path] = [python_in(DEFACE_VENV), DEFACE_FACES, source, out]
    argv += ["--thresh", str(thresh), "--mask-scale", str(mask_scale)]
    if scale:
        argv += ["--scale", scale]
    if limit:
        argv += ["--limit", str(limit)]
    run_measured(argv).check()
    return command_line(argv)


def load_masks(npz_path: Path) -> tuple[list[str], list[np.ndarray], list[np.ndarray]]:
    """Names, boolean masks and detections (x1 y1 x2 y2 score) recorded by deface_faces.py."""
    data = np.load(npz_path)
    names = [str(n) for n in data["names"]]
    masks, dets = [], []
    for i in range(len(names)):
        h, w = (int(v) for v in data[f"shape_{i}"])
        bits = np.unpackbits(data[f"mask_{i}"], count=h * w).astype(bool)
        masks.append(bits.reshape(h, w))
        dets.append(np.asarray(data[f"dets_{i}"], np.float32).reshape(-1, 5))
    return names, masks, dets


def deface_scores(
    folder: Path,
    label: str,
    *,
    thresh: float = 0.2,
    mask_scale: float = 1.3,
    limit: int | None = None,
) -> Scores:
    """deface's masks on ``folder`` scored by Veil's evaluation code."""
    from veil.vision.detections import Detections
    from veil.vision.evaluation import Tally, read_boxes_csv, score_image

    out = WORK / f"deface_{folder.name}_{thresh}_{mask_scale}_{limit or 'all'}.npz"
    command = run_deface_faces(folder, out, thresh=thresh, mask_scale=mask_scale, limit=limit)
    names, masks, dets = load_masks(out)
    labelled = read_boxes_csv(folder)[: len(names)]
    tally = Tally()
    for item, name, mask, found in zip(labelled, names, masks, dets, strict=True):
        if item.path.relative_to(folder).as_posix() != name:
            raise RuntimeError(f"deface output out of order: {name} vs {item.path}")
        detections = Detections(found[:, :4], found[:, 4]).clipped(mask.shape[1], mask.shape[0])
        tally.add(score_image(item.boxes, item.ignore, detections, mask))
    seconds = float(np.load(out)["detect_seconds"])
    return Scores(
        "deface",
        label,
        command,
        {b.bucket: b.to_dict() for b in tally.buckets()},
        seconds,
    )


def pct(value: float | None) -> str:
    """A rate as a percentage with one decimal, or '-'."""
    return "-" if value is None else f"{100 * value:.1f}%"


def comparison_table(scores: list[Scores], figure: str = "protected_recall") -> str:
    """Markdown: one row per tool/setting, one column per size bucket."""
    from common import markdown_table

    first = scores[0].buckets
    header = ["tool, settings"] + [f"{b} ({first[b]['faces']})" for b in BUCKETS]
    rows = [[f"{s.tool} {s.label}"] + [pct(s.buckets[b][figure]) for b in BUCKETS] for s in scores]
    return markdown_table(header, rows)


def meets(candidate: Scores, reference: Scores) -> bool:
    """Whether ``candidate``'s protected recall is at least ``reference``'s in every size bucket."""
    for bucket in BUCKETS[:4]:
        ours, theirs = candidate.protected(bucket), reference.protected(bucket)
        if theirs is not None and (ours is None or ours < theirs):
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--veil-flags", default="", help="extra flags for veil eval faces")
    args = parser.parse_args()
    scores = [veil_scores(args.folder, args.veil_flags.split(), "default", args.limit)]
    if deface_available():
        scores.append(deface_scores(args.folder, "default", limit=args.limit))
    print(comparison_table(scores))
    print()
    print(comparison_table(scores, "recall_iou50"))
    print()
    print(comparison_table(scores, "precision"))
    for s in scores:
        print(f"{s.tool}: {s.command} ({s.seconds:.1f} s)")


if __name__ == "__main__":
    main()
