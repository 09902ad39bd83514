"""Counters, gauges and histograms per camera, rendered in the Prometheus text format (0.0.4)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar

BLANK_REASONS = ("late", "detector", "corrupt")  # values of veil.stream.realtime.BlankReason
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


@dataclass
class Histogram:
    """A cumulative histogram of seconds."""

    buckets: tuple[float, ...] = LATENCY_BUCKETS
    counts: list[int] = field(default_factory=list)
    total: float = 0.0
    count: int = 0

    def __post_init__(self) -> None:
        self.counts = [0] * len(self.buckets)

    def observe(self, value: float) -> None:
        """Record one observation."""
        self.total += value
        self.count += 1
        for i, bound in enumerate(self.buckets):
            if value <= bound:
                self.counts[i] += 1

    def quantile(self, q: float) -> float | None:
        """An upper bound of the ``q`` quantile (the first bucket holding it)."""
        if not self.count:
            return None
        wanted = q * self.count
        for bound, seen in zip(self.buckets, self.counts, strict=True):
            if seen >= wanted:
                return bound
        return float("inf")


class CameraMetrics:
    """What one camera's pipeline did; updated by its threads, read by the HTTP server."""

    COUNTERS: ClassVar[dict[str, str]] = {
        "frames_in": "Frames decoded from the source.",
        "frames_out": "Frames handed to the sinks (every one redacted).",
        "frames_dropped": "Frames dropped before processing because the pipeline was saturated.",
        "faces_redacted": "Faces redacted (face-frames).",
        "detections": "Detector runs.",
        "reconnects": "Source reconnections.",
        "segments_closed": "Recording segments completed.",
        "audio_packets": "Audio packets passed through.",
    }

    def __init__(self, camera: str) -> None:
        self.camera = camera
        self._lock = threading.Lock()
        self.values: dict[str, int] = dict.fromkeys(self.COUNTERS, 0)
        for reason in BLANK_REASONS:
            self.values[f"frames_blanked_{reason}"] = 0
        self.detector_latency = Histogram()
        self.added_latency = Histogram()
        self.detection_side = 0
        self.detect_every = 1
        self.up = False
        self.state = "starting"
        self.error: str | None = None

    def add(self, name: str, amount: int = 1) -> None:
        """Increase counter ``name``."""
        with self._lock:
            self.values[name] += amount

    def set(self, name: str, value: int) -> None:
        """Set counter ``name`` (for counters kept elsewhere, e.g. by the source)."""
        with self._lock:
            self.values[name] = value

    def observe_detector(self, seconds: float) -> None:
        """Record one detector run's latency."""
        with self._lock:
            self.detector_latency.observe(seconds)

    def observe_latency(self, seconds: float) -> None:
        """Record the time a frame spent inside Veil (decoded to handed to the sinks)."""
        with self._lock:
            self.added_latency.observe(seconds)

    @property
    def frames_blanked(self) -> int:
        """Frames fully redacted for any reason."""
        return sum(self.values[f"frames_blanked_{reason}"] for reason in BLANK_REASONS)

    def snapshot(self) -> dict[str, object]:
        """Plain data for the health endpoint and JSON summaries."""
        with self._lock:
            data: dict[str, object] = dict(self.values)
            data["frames_blanked"] = self.frames_blanked
            data["detection_side"] = self.detection_side
            data["detect_every"] = self.detect_every
            data["up"] = self.up
            data["state"] = self.state
            data["error"] = self.error
            p50 = self.added_latency.quantile(0.5)
            p95 = self.added_latency.quantile(0.95)
            data["latency_p50_le_s"] = p50
            data["latency_p95_le_s"] = p95
            count = self.detector_latency.count
            data["detector_mean_s"] = (
                round(self.detector_latency.total / count, 4) if count else None
            )
        return data


def render_prometheus(cameras: Iterable[CameraMetrics]) -> str:
    """All cameras' metrics in the Prometheus text exposition format."""
    cameras = list(cameras)
    lines: list[str] = []
    for name, help_text in CameraMetrics.COUNTERS.items():
        metric = f"veil_stream_{name}_total"
        lines += [f"# HELP {metric} {help_text}", f"# TYPE {metric} counter"]
        for cam in cameras:
            lines.append(f'{metric}{{camera="{_label(cam.camera)}"}} {cam.values[name]}')
    lines += [
        "# HELP veil_stream_frames_blanked_total Frames fully redacted, by reason.",
        "# TYPE veil_stream_frames_blanked_total counter",
    ]
    for cam in cameras:
        for reason in BLANK_REASONS:
            value = cam.values[f"frames_blanked_{reason}"]
            lines.append(
                f"veil_stream_frames_blanked_total"
                f'{{camera="{_label(cam.camera)}",reason="{reason}"}} {value}'
            )
    lines += [
        "# HELP veil_stream_up Whether the camera source is connected.",
        "# TYPE veil_stream_up gauge",
    ]
    lines += [f'veil_stream_up{{camera="{_label(c.camera)}"}} {int(c.up)}' for c in cameras]
    lines += [
        "# HELP veil_stream_detection_side_pixels Longer side of the image the detector sees now.",
        "# TYPE veil_stream_detection_side_pixels gauge",
    ]
    lines += [
        f'veil_stream_detection_side_pixels{{camera="{_label(c.camera)}"}} {c.detection_side}'
        for c in cameras
    ]
    lines += [
        "# HELP veil_stream_detect_every_frames Frames per detector run now (tracking in between).",
        "# TYPE veil_stream_detect_every_frames gauge",
    ]
    lines += [
        f'veil_stream_detect_every_frames{{camera="{_label(c.camera)}"}} {c.detect_every}'
        for c in cameras
    ]
    for metric, attr, help_text in (
        ("veil_stream_detector_latency_seconds", "detector_latency", "Detector run time."),
        (
            "veil_stream_added_latency_seconds",
            "added_latency",
            "Time from decoding a frame to handing it, redacted, to the sinks.",
        ),
    ):
        lines += [f"# HELP {metric} {help_text}", f"# TYPE {metric} histogram"]
        for cam in cameras:
            hist: Histogram = getattr(cam, attr)
            label = _label(cam.camera)
            for bound, count in zip(hist.buckets, hist.counts, strict=True):
                lines.append(f'{metric}_bucket{{camera="{label}",le="{bound}"}} {count}')
            lines.append(f'{metric}_bucket{{camera="{label}",le="+Inf"}} {hist.count}')
            lines.append(f'{metric}_sum{{camera="{label}"}} {hist.total:.6f}')
            lines.append(f'{metric}_count{{camera="{label}"}} {hist.count}')
    return "\n".join(lines) + "\n"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
