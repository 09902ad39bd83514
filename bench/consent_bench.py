"""Benchmark consent-gated recognition: 1:N matching speed, and `gate` throughput beside `blur`.

1. Matching: a gallery of 100,000 random 128-d templates (unit-norm, like dlib's embeddings);
   time per face for one face at a time and for frames of 4 faces, median over many queries.
   Target: under 5 ms per face.
2. Throughput: the same video (``../shared/data/faces/videos/hamilton_clip_640x360.mp4``) through
   ``Anonymizer`` with the default policy (what ``veil blur`` runs) and with the consent gate
   (what ``veil gate`` runs), the performer enrolled from his labelled photo so that matches
   happen. Reports frames per second, faces kept and redacted.

Usage (from the repository root):

    .venv/bin/python bench/consent_bench.py            # full: 200 queries, the whole clip
    .venv/bin/python bench/consent_bench.py --quick    # 50 queries, the first 90 frames
    .venv/bin/python bench/consent_bench.py --json results.json

3. Full runs only: ``veil eval identities ../shared/data/faces/identities`` (TAR at FAR
   1e-2/1e-3/1e-4 and the chosen threshold), the measurement behind the default threshold.

Writes bench/results/consent.md (the figures, the command and the machine) unless --no-write.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from common import cpu_model

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

SHARED = REPO.parent / "shared" / "data" / "faces"
VIDEO = SHARED / "videos" / "hamilton_clip_640x360.mp4"
PERFORMER = SHARED / "identities" / "face_recognition" / "examples" / "lin-manuel-miranda.png"
RESULTS = REPO / "bench" / "results" / "consent.md"


def machine() -> str:
    cpu = cpu_model()
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {np.__version__}; load average before: {load}"
    )


def bench_matching(templates: int, queries: int) -> dict[str, Any]:
    from veil.consent.matching import DEFAULT_THRESHOLD, Gallery

    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(templates, 128)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    started = time.perf_counter()
    gallery = Gallery.build(vectors, np.arange(templates) // 2)
    build_s = time.perf_counter() - started
    allowed = np.ones(templates // 2 + 1, dtype=bool)
    probes = vectors[rng.integers(0, templates, size=queries * 4)]
    probes = probes + rng.normal(scale=0.01, size=probes.shape).astype(np.float32)
    gallery.match(probes[:1], DEFAULT_THRESHOLD, allowed=allowed)  # warm up
    single = []
    correct = 0
    for i in range(queries):
        t = time.perf_counter()
        owners, _ = gallery.match(probes[i : i + 1], DEFAULT_THRESHOLD, allowed=allowed)
        single.append(time.perf_counter() - t)
        correct += int(owners[0] >= 0)
    batched = []
    for i in range(queries):
        t = time.perf_counter()
        gallery.match(probes[4 * i : 4 * i + 4], DEFAULT_THRESHOLD, allowed=allowed)
        batched.append((time.perf_counter() - t) / 4)
    return {
        "templates": templates,
        "queries": queries,
        "build_s": round(build_s, 3),
        "ms_per_face_single_median": round(1000 * float(np.median(single)), 3),
        "ms_per_face_single_p95": round(1000 * float(np.percentile(single, 95)), 3),
        "ms_per_face_batch4_median": round(1000 * float(np.median(batched)), 3),
        "near_duplicates_matched": f"{correct}/{queries}",
    }


class _StubEmbedder:
    """Returns a fixed embedding per face: isolates the gate's own cost from dlib's."""

    name = "stub"
    dim = 128

    def __init__(self, vector: np.ndarray) -> None:
        self.vector = vector

    def embed(self, frame: np.ndarray, detections: Any) -> np.ndarray:
        return np.repeat(self.vector[None, :], len(detections), axis=0).astype(np.float32)


def bench_gate_decision(templates: int, queries: int) -> dict[str, Any]:
    """``ConsentGate.decide`` on one face with ``templates`` consenting subjects (one template
    each): validity mask, 1:N matching, verdict; the embedder is stubbed out."""
    from veil.consent.events import MemorySink
    from veil.consent.gate import ConsentGate
    from veil.consent.matching import Gallery
    from veil.consent.records import ConsentRecord
    from veil.vision.detections import Detections

    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(templates, 128)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    now = datetime.now(UTC)
    base = ConsentRecord(
        subject="s",
        controller="Bench",
        purposes=("bench",),
        notice_version="v1",
        notice_digest="sha256:" + "0" * 64,
        collection_method="bench",
        given_at=now - timedelta(days=1),
        expires_at=now + timedelta(days=1),
    )
    records = [base.model_copy(update={"subject": f"s{i}"}) for i in range(templates)]
    gallery = Gallery.build(vectors, np.arange(templates))
    frame = np.zeros((200, 200, 3), np.uint8)
    face = Detections(np.array([[50, 50, 150, 150]], np.float32), np.array([0.9], np.float32))
    stranger = rng.normal(size=128).astype(np.float32)
    stranger /= np.linalg.norm(stranger)
    gate = ConsentGate("bench", records, gallery, _StubEmbedder(stranger), MemorySink())
    gate.decide(frame, face)
    times = []
    for _ in range(queries):
        t = time.perf_counter()
        decision = gate.decide(frame, face)
        times.append(time.perf_counter() - t)
        assert decision.redact.all()
    return {
        "subjects": templates,
        "ms_per_face_median": round(1000 * float(np.median(times)), 3),
        "ms_per_face_p95": round(1000 * float(np.percentile(times, 95)), 3),
    }


def trim_video(source: Path, target: Path, frames: int) -> Path:
    """The first ``frames`` frames of ``source`` (video only), re-encoded losslessly enough."""
    import av

    with av.open(str(source)) as inp, av.open(str(target), "w") as out:
        stream_in = inp.streams.video[0]
        rate = stream_in.average_rate or Fraction(30)
        stream = out.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = (
            stream_in.codec_context.width,
            stream_in.codec_context.height,
            "yuv420p",
        )
        stream.options = {"crf": "12"}
        for i, frame in enumerate(inp.decode(stream_in)):
            if i >= frames:
                break
            new = av.VideoFrame.from_ndarray(frame.to_ndarray(format="bgr24"), format="bgr24")
            new.pts = i
            new.time_base = Fraction(1) / rate
            out.mux(stream.encode(new))
        out.mux(stream.encode(None))
    return target


def bench_throughput(frames: int | None, work: Path) -> dict[str, Any]:
    from veil.consent.enroll import enroll
    from veil.consent.events import MemorySink
    from veil.consent.gate import ConsentGate
    from veil.consent.registry import ConsentRegistry, notice_digest
    from veil.consent.store import ConsentStore
    from veil.consent.vault import MasterKey, Vault
    from veil.pipeline import AnonymizeOptions, Anonymizer
    from veil.vision.detectors import get_detector
    from veil.vision.embeddings import get_embedder

    if not VIDEO.exists() or not PERFORMER.exists():
        return {"skipped": f"{VIDEO} or {PERFORMER} not found"}
    video = trim_video(VIDEO, work / "clip.mp4", frames) if frames else VIDEO
    options = AnonymizeOptions(overwrite=True)
    detector = get_detector(options.detector, options.detection)

    store = ConsentStore(f"sqlite:///{work / 'veil.db'}")
    sink = MemorySink()
    registry = ConsentRegistry(store, sink, Vault(store, MasterKey.generate()))
    registry.declare_purpose("bench")
    registry.grant(
        subject="performer",
        controller="Bench",
        purposes=["bench"],
        notice_version="v1",
        notice_digest=notice_digest(b"bench"),
        collection_method="bench",
        valid_for=timedelta(days=1),
    )
    embedder = get_embedder()
    enroll(registry, "performer", "bench", [PERFORMER], detector, embedder)

    out: dict[str, Any] = {
        "video": f"first {frames} frames of {VIDEO.name}" if frames else VIDEO.name
    }
    # Interleaved, twice each; the faster run of each counts (the machine may be shared).
    runs: dict[str, list[dict[str, Any]]] = {"blur": [], "gate": []}
    for name in ("blur", "gate", "blur", "gate"):
        policy = ConsentGate.open(registry, "bench", embedder) if name == "gate" else None
        anonymizer = Anonymizer(options, policy=policy, detector=detector)
        started = time.perf_counter()
        result = anonymizer.anonymize_video(video, work / f"{name}.mp4")
        seconds = time.perf_counter() - started
        if policy is not None:
            policy.close()
        runs[name].append(
            {
                "frames": result.frames,
                "seconds": round(seconds, 2),
                "fps": round(result.frames / seconds, 2),
                "faces_redacted": result.faces_redacted,
                "faces_kept": result.faces_kept,
            }
        )
    for name, results in runs.items():
        out[name] = min(results, key=lambda r: r["seconds"])
        out[name]["runs_seconds"] = [r["seconds"] for r in results]
    out["identify_events"] = sum(1 for e in sink.events if e.action == "identify")
    out["gate_over_blur_time"] = round(out["gate"]["seconds"] / out["blur"]["seconds"], 2)
    store.close()
    return out


def bench_identities() -> dict[str, Any]:
    from veil.consent.evaluation import evaluate_identities
    from veil.consent.matching import DEFAULT_THRESHOLD
    from veil.vision.detectors import DetectorSettings, get_detector
    from veil.vision.embeddings import get_embedder

    folder = SHARED / "identities"
    if not folder.exists():
        return {"skipped": f"{folder} not found"}
    detector = get_detector("centerface", DetectorSettings(threshold=0.3))
    report = evaluate_identities(folder, detector, get_embedder(), DEFAULT_THRESHOLD)
    return report.to_dict()


def write_markdown(report: dict[str, Any], command: str) -> None:
    m = report["matching"]
    g = report["gate_decision"]
    lines = [
        "# Consent-gated recognition: benchmark",
        "",
        f"Command: `{command}`  ",
        f"Date: {report['date']}  ",
        f"Machine: {report['machine']}",
        "",
        "Numbers taken while other work shared the machine are noisy; rerun in a quiet moment.",
        "",
        "## 1:N matching (numpy, exact search)",
        "",
        "| templates | queries | ms/face (1 face, median) | p95 | ms/face (4 faces/frame) | target |",
        "|---|---|---|---|---|---|",
        f"| {m['templates']:,} | {m['queries']} | {m['ms_per_face_single_median']} | "
        f"{m['ms_per_face_single_p95']} | {m['ms_per_face_batch4_median']} | < 5 |",
        "",
        f"Gallery build: {m['build_s']} s; near-duplicate probes matched: "
        f"{m['near_duplicates_matched']}.",
        "",
        f"Whole gate decision for one face (validity mask over {g['subjects']:,} consenting "
        f"subjects, matching, verdict; embedder stubbed out): {g['ms_per_face_median']} ms "
        f"median, {g['ms_per_face_p95']} ms p95.",
        "",
        "## `veil gate` beside `veil blur` (same video, same detector, same pipeline)",
        "",
    ]
    t = report["throughput"]
    if "skipped" in t:
        lines.append(f"Skipped: {t['skipped']}")
    else:
        lines += [
            f"Video: {t['video']}; the performer is enrolled (one photo), so the gate matches.",
            "",
            "| policy | frames | best seconds | fps | both runs (s) | faces redacted | faces kept |",
            "|---|---|---|---|---|---|---|",
        ]
        for name in ("blur", "gate"):
            r = t[name]
            lines.append(
                f"| {name} | {r['frames']} | {r['seconds']} | {r['fps']} | "
                f"{', '.join(str(x) for x in r['runs_seconds'])} | {r['faces_redacted']} | "
                f"{r['faces_kept']} |"
            )
        lines += [
            "",
            f"Gate takes {t['gate_over_blur_time']}x the time of blur (best runs, interleaved): "
            "dlib's landmarks and ResNet embedding for each face that matched on every frame, and "
            "for each tracked face that did not match every 5th frame (`--recheck-frames`). "
            f"Identify events logged: {t['identify_events']} (rate-limited per subject).",
        ]
    ids = report.get("identities")
    lines += ["", "## Match threshold (`veil eval identities ../shared/data/faces/identities`)", ""]
    if ids is None:
        lines.append("Not run with --quick; run `python bench/consent_bench.py` for it.")
    elif "skipped" in ids:
        lines.append(f"Skipped: {ids['skipped']}")
    else:
        lines += [
            f"{ids['usable']}/{ids['images']} photos usable, {ids['persons']} persons, "
            f"{ids['genuine_pairs']} genuine and {ids['impostor_pairs']} impostor pairs.",
            "",
            "| FAR target | threshold | TAR | measured FAR | false accepts |",
            "|---|---|---|---|---|",
        ]
        for p in ids["points"]:
            note = "" if p["resolved"] else " (too few pairs)"
            lines.append(
                f"| {p['far_target']:g} | {p['threshold']} | {100 * p['tar']:.1f}% | "
                f"{p['far']:.2e}{note} | {p['false_accepts']} |"
            )
        d = ids["default"]
        lines += [
            "",
            f"Chosen (95% upper bound on FAR <= 1e-3): {ids['chosen_threshold']}; default "
            f"{ids['default_threshold']}: TAR {100 * d['tar']:.1f}%, FAR {d['far']:.2e} "
            f"({d['false_accepts']} false accepts).",
        ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer queries, 90 video frames")
    parser.add_argument("--templates", type=int, default=100_000)
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--no-write", action="store_true", help="do not write the results file")
    args = parser.parse_args(argv)
    command = "python bench/consent_bench.py" + (" --quick" if args.quick else "")
    report: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "quick": args.quick,
    }
    report["matching"] = bench_matching(args.templates, 50 if args.quick else 200)
    print(json.dumps(report["matching"]), flush=True)
    report["gate_decision"] = bench_gate_decision(args.templates, 50 if args.quick else 200)
    print(json.dumps(report["gate_decision"]), flush=True)
    with tempfile.TemporaryDirectory(prefix="veil-consent-bench-") as work:
        report["throughput"] = bench_throughput(90 if args.quick else None, Path(work))
    print(json.dumps(report["throughput"]), flush=True)
    if not args.quick:
        report["identities"] = bench_identities()
        print(json.dumps(report["identities"]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    if not args.no_write:
        write_markdown(report, command)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
