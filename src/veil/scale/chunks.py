"""Long videos in chunks: cut at key frames, anonymized in parallel, stitched into one file.

Each chunk starts at a key frame (so it decodes on its own) and is preceded by a warm-up: the
frames before it are run through detection and tracking on the same schedule as the whole-file
run (detection on every ``detect_every``-th frame of the whole video), but not written. A face
that crosses a seam is therefore tracked into the next chunk exactly as it would be without the
cut. The warm-up covers the tracker's memory (``detect_every`` plus the frames a lost face stays
masked), and a chunk whose frames do not add up fails the whole video (fail closed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from veil.errors import MediaError
from veil.media.packets import EncodedRun, PacketEncoder
from veil.media.video import VideoReader, output_codec

if TYPE_CHECKING:
    from veil.pipeline import AnonymizeOptions, Anonymizer

MIN_CHUNK_FRAMES = 250  # below this, a chunk's model load and warm-up outweigh the parallelism


@dataclass(frozen=True)
class VideoChunk:
    """Frames ``start`` (a key frame) to ``end`` (exclusive) are written; decoding starts at the
    warm-up frame ``warmup``. Timestamps are the input's."""

    number: int
    warmup: int
    start: int
    end: int
    warmup_pts: int
    end_pts: int | None


@dataclass
class ChunkResult:
    """One chunk's packets and counts."""

    chunk: VideoChunk
    run: EncodedRun = field(default_factory=EncodedRun)
    faces_redacted: int = 0
    faces_kept: int = 0
    frames_blanked: int = 0


def warmup_frames(options: AnonymizeOptions) -> int:
    """How many frames before a chunk are tracked (not written) so the seam is seamless."""
    held = options.tracking.max_misses if options.tracking is not None else 0
    return options.detect_every + held + 1


def plan_chunks(
    source: Path, options: AnonymizeOptions, pieces: int, min_frames: int = MIN_CHUNK_FRAMES
) -> list[VideoChunk]:
    """Cut ``source`` into up to ``pieces`` chunks of at least ``min_frames`` at key frames
    (one chunk if it is short or has no key frames to cut at)."""
    with VideoReader(source, passthrough=False) as reader:
        stamps, keys = reader.timestamps()
    size = max(min_frames, math.ceil(len(stamps) / max(1, pieces)))
    starts = [0]
    for index, pts in enumerate(stamps):
        if pts in keys and index - starts[-1] >= size and len(stamps) - index >= size // 2:
            starts.append(index)
    warm = warmup_frames(options)
    chunks = []
    for number, start in enumerate(starts):
        end = starts[number + 1] if number + 1 < len(starts) else len(stamps)
        warmup = max(0, start - warm)
        end_pts = stamps[end] if end < len(stamps) else None
        chunks.append(VideoChunk(number, warmup, start, end, stamps[warmup], end_pts))
    return chunks


def anonymize_chunk(
    anonymizer: Anonymizer, source: Path, chunk: VideoChunk, spool: Path | None = None
) -> ChunkResult:
    """Detect, track and redact the chunk's frames (after its warm-up) and encode them; the
    packets are kept in memory, or written to the file ``spool`` (0600) when one is given."""
    options = anonymizer.options
    with VideoReader(source, passthrough=False) as reader:
        codec = output_codec(options.codec, source.suffix)
        encoder = PacketEncoder(reader.info, codec, options.crf, options.preset, spool=spool)
        try:
            result = _encode_chunk(anonymizer, reader, encoder, source, chunk)
        except BaseException:
            encoder.abort()
            raise
    if result.run.frames != chunk.end - chunk.start:
        raise MediaError(
            f"{source}: chunk {chunk.number} decoded {result.run.frames} frames, "
            f"expected {chunk.end - chunk.start}"
        )
    return result


def _encode_chunk(
    anonymizer: Anonymizer,
    reader: VideoReader,
    encoder: PacketEncoder,
    source: Path,
    chunk: VideoChunk,
) -> ChunkResult:
    from veil.vision.tracking import FaceTracker

    options = anonymizer.options
    tracker = FaceTracker(options.tracking) if options.tracking is not None else None
    result = ChunkResult(chunk)
    index, last_blanked = chunk.warmup, False
    schedule = anonymizer.schedule()  # as in the pipeline: the same plans from the warm-up on
    for frame in reader.frames_from(chunk.warmup_pts):
        if chunk.end_pts is not None and frame.pts is not None and frame.pts >= chunk.end_pts:
            break
        tracked = tracker.current() if tracker is not None else None
        plan = schedule.plan(
            index, frame.pixels, tracked, unprotected=tracker is None or last_blanked
        )
        _, report = anonymizer.anonymize_frame(
            frame.pixels, tracker, run_detector=plan.detect, regions=plan.regions,
            detector=anonymizer.video_detector, source=source, index=index, pts=frame.pts,
        )  # fmt: skip
        last_blanked = report.blanked
        if index >= chunk.start:
            encoder.encode(frame)
            report.tally(result)
        index += 1
    result.run = encoder.finish()
    return result
