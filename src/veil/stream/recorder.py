"""Rolling recording segments: fixed-length MP4 files, each written atomically and playable alone.

A segment is encoded under a temporary dot-name (``.NAME.XXXX.partial.mp4``) and renamed into
place only once complete and flushed, so a visible ``CAMERA-UTCSTAMP-SEQ.mp4`` always plays; a
failed write (disk full, I/O error) removes the partial file. A restart removes partials left by a
killed run and continues the sequence numbers, never overwriting an earlier segment.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from veil.core.atomic import atomic_output
from veil.errors import ConfigError, MediaError
from veil.media.streams import LivePacket
from veil.stream.encoding import OUTPUT_TIME_BASE, EncoderSettings, add_video_stream, text_of

log = logging.getLogger("veil.stream")

DEFAULT_SEGMENT_SECONDS = 60.0
SEGMENT_PATTERN = re.compile(r"^(?P<camera>.+)-(?P<stamp>\d{8}T\d{6}Z)-(?P<seq>\d{6})\.mp4$")


@dataclass
class SegmentInfo:
    """A closed segment: where it is and what it holds (handed to the segment observer)."""

    camera: str
    path: Path
    sequence: int
    started: datetime
    duration: float
    frames: int
    faces_redacted: int
    frames_blanked: int
    audio_packets: int
    width: int
    height: int


SegmentObserver = Callable[[SegmentInfo], None]


class DiskFullError(MediaError):
    """The recording folder has no room for another segment."""


def next_sequence(folder: Path, camera: str) -> int:
    """The sequence number after the highest complete segment of ``camera`` in ``folder``."""
    highest = -1
    if folder.is_dir():
        for path in folder.iterdir():
            match = SEGMENT_PATTERN.match(path.name)
            if match and match["camera"] == camera:
                highest = max(highest, int(match["seq"]))
    return highest + 1


def remove_partials(folder: Path) -> list[Path]:
    """Delete segments a killed run left half-written (``.*.partial.mp4``); return them."""
    removed: list[Path] = []
    if folder.is_dir():
        for path in folder.glob(".*.partial.mp4"):
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed


class _Segment:
    """One MP4 segment being written under a temporary name."""

    def __init__(
        self,
        target: Path,
        settings: EncoderSettings,
        width: int,
        height: int,
        fps: float,
        start: float,
        audio: Any,
    ) -> None:
        import av

        self.target = target
        self.start = start
        self.width = width
        self.height = height
        self.frames = 0
        self.faces_redacted = 0
        self.frames_blanked = 0
        self.audio_packets = 0
        self.last_time = start
        self.started = datetime.now(UTC)
        self._stack = contextlib.ExitStack()
        self.temporary = self._stack.enter_context(atomic_output(target))
        try:
            self.container = av.open(str(self.temporary), mode="w", format="mp4")
        except (av.FFmpegError, OSError) as exc:
            self._stack.close()
            raise _write_error(target, exc) from exc
        self.video = add_video_stream(self.container, settings, width, height, fps)
        self.audio: Any = None
        if audio is not None:
            try:
                self.audio = self.container.add_stream_from_template(audio)
            except (av.FFmpegError, ValueError) as exc:
                log.warning("audio stream not recordable in MP4 (%s); recording video only", exc)

    def write(self, frame: Any, stamp: float) -> None:
        import av

        frame.pts = round((stamp - self.start) / OUTPUT_TIME_BASE)
        frame.time_base = OUTPUT_TIME_BASE
        try:
            self.container.mux(self.video.encode(frame))
        except (av.FFmpegError, OSError, ValueError) as exc:
            raise _write_error(self.target, exc) from exc
        self.frames += 1
        self.last_time = stamp

    def write_audio(self, item: LivePacket) -> bool:
        import av

        if self.audio is None:
            return False
        packet = item.packet
        offset = item.time - self.start
        if offset < 0:
            return False
        tb = packet.time_base
        duration = packet.dts - packet.pts if packet.dts is not None else 0
        packet.pts = round(offset / tb)
        packet.dts = packet.pts + duration
        packet.stream = self.audio
        try:
            self.container.mux(packet)
        except (av.FFmpegError, OSError, ValueError) as exc:
            if isinstance(exc, OSError) or _is_disk_full(exc):
                raise _write_error(self.target, exc) from exc
            return False  # a malformed audio packet is dropped, never fatal
        self.audio_packets += 1
        return True

    def close(self) -> None:
        import av

        try:
            self.container.mux(self.video.encode(None))
            self.container.close()
        except (av.FFmpegError, OSError, ValueError) as exc:
            self.abort()
            raise _write_error(self.target, exc) from exc
        try:
            self._stack.close()  # fsync + rename
        except OSError as exc:
            raise _write_error(self.target, exc) from exc
        fsync_folder(self.target.parent)

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.container.close()
        with contextlib.suppress(Exception):
            self._stack.__exit__(MediaError, MediaError("aborted"), None)
        with contextlib.suppress(OSError):
            self.temporary.unlink(missing_ok=True)


def _is_disk_full(exc: BaseException) -> bool:
    code = getattr(exc, "errno", None)
    return code in {errno.ENOSPC, errno.EDQUOT, errno.EFBIG} or "No space left" in str(exc)


def _write_error(target: Path, exc: BaseException) -> MediaError:
    if _is_disk_full(exc):
        return DiskFullError(
            f"disk full: cannot write segment {target} (the partial segment was removed)"
        )
    return MediaError(f"{target}: cannot write segment ({text_of(exc)})")


class SegmentRecorder:
    """Rolling MP4 segments of ``segment_seconds`` each, named ``CAMERA-UTCSTAMP-SEQ.mp4``.

    A segment is closed and renamed into place when it reaches its length, when the source
    reconnects or changes resolution, and at :meth:`close`. Only complete segments are visible;
    a failed write removes the partial file and raises :class:`MediaError`
    (:class:`DiskFullError` when the disk is full). A restart continues the sequence numbers.
    """

    def __init__(
        self,
        folder: Path,
        camera: str,
        *,
        segment_seconds: float = DEFAULT_SEGMENT_SECONDS,
        encoder: EncoderSettings | None = None,
        fps: float = 25.0,
        min_free_bytes: int = 64 * 1024 * 1024,
        observer: SegmentObserver | None = None,
    ) -> None:
        if segment_seconds <= 0:
            raise ConfigError("segment length must be positive")
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", camera):
            raise ConfigError(f"camera name {camera!r}: use letters, digits, '.', '_' or '-'")
        self.folder = folder
        self.camera = camera
        self.segment_seconds = segment_seconds
        self.encoder = encoder or EncoderSettings()
        self.fps = fps
        self.min_free_bytes = min_free_bytes
        self.observer = observer
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MediaError(f"{folder}: cannot create recording folder ({text_of(exc)})") from exc
        for path in remove_partials(folder):
            log.warning("removed incomplete segment %s left by an earlier run", path.name)
        self.sequence = next_sequence(folder, camera)
        self.closed: list[SegmentInfo] = []
        self._segment: _Segment | None = None
        self._audio: Any = None
        self.audio_dropped = 0

    @property
    def current(self) -> Path | None:
        """The segment being written (its final name), if any."""
        return self._segment.target if self._segment is not None else None

    def set_audio(self, audio: Any) -> None:
        """Use ``audio`` (an input stream, or None) as the audio template from the next segment."""
        self._audio = audio

    def discontinuity(self) -> None:
        """The source reconnected: finish the current segment."""
        self.close_segment()

    def write(
        self, frame: Any, stamp: float, *, faces_redacted: int = 0, blanked: bool = False
    ) -> None:
        """Encode one redacted frame (an ``av.VideoFrame`` in yuv420p) at ``stamp`` seconds."""
        width, height = frame.width, frame.height
        segment = self._segment
        if segment is not None and (
            (segment.width, segment.height) != (width, height)
            or stamp - segment.start >= self.segment_seconds - 0.5 / self.fps
        ):
            self.close_segment()
            segment = None
        if segment is None:
            segment = self._open(width, height, stamp)
        try:
            segment.write(frame, stamp)
        except MediaError:
            self._segment = None
            segment.abort()
            raise
        segment.faces_redacted += faces_redacted
        segment.frames_blanked += int(blanked)

    def write_audio(self, item: LivePacket) -> None:
        """Copy one audio packet into the current segment (dropped before the first frame)."""
        if self._segment is None:
            self.audio_dropped += 1
            return
        try:
            written = self._segment.write_audio(item)
        except MediaError:
            segment, self._segment = self._segment, None
            segment.abort()
            raise
        if not written:
            self.audio_dropped += 1

    def _open(self, width: int, height: int, stamp: float) -> _Segment:
        self._check_space()
        now = datetime.now(UTC)
        name = f"{self.camera}-{now:%Y%m%dT%H%M%SZ}-{self.sequence:06d}.mp4"
        self.sequence += 1
        try:
            segment = _Segment(
                self.folder / name, self.encoder, width, height, self.fps, stamp, self._audio
            )
        except OSError as exc:
            raise _write_error(self.folder / name, exc) from exc
        self._segment = segment
        return segment

    def _check_space(self) -> None:
        try:
            free = shutil.disk_usage(self.folder).free
        except OSError as exc:
            raise MediaError(f"{self.folder}: cannot check free space ({text_of(exc)})") from exc
        if free < self.min_free_bytes:
            raise DiskFullError(
                f"disk full: {self.folder} has {free // (1024 * 1024)} MiB free, "
                f"below the {self.min_free_bytes // (1024 * 1024)} MiB needed for a new segment"
            )

    def close_segment(self) -> SegmentInfo | None:
        """Finish the current segment (rename it into place); return what it holds."""
        segment, self._segment = self._segment, None
        if segment is None:
            return None
        if segment.frames == 0:
            segment.abort()
            return None
        segment.close()
        info = SegmentInfo(
            camera=self.camera,
            path=segment.target,
            sequence=int(SEGMENT_PATTERN.match(segment.target.name)["seq"]),  # type: ignore[index]
            started=segment.started,
            duration=round(segment.last_time - segment.start + 1 / self.fps, 3),
            frames=segment.frames,
            faces_redacted=segment.faces_redacted,
            frames_blanked=segment.frames_blanked,
            audio_packets=segment.audio_packets,
            width=segment.width,
            height=segment.height,
        )
        self.closed.append(info)
        if self.observer is not None:
            try:
                self.observer(info)
            except Exception:  # the recording itself is complete; a failing observer is logged
                log.exception("segment observer failed for %s", info.path.name)
        return info

    def close(self) -> None:
        """Finish the current segment."""
        self.close_segment()

    def abort(self) -> None:
        """Drop the current segment without keeping it."""
        segment, self._segment = self._segment, None
        if segment is not None:
            segment.abort()


def segment_files(folder: Path, camera: str | None = None) -> list[Path]:
    """Complete segments in ``folder`` (optionally of one camera), in sequence order."""
    found: list[tuple[int, Path]] = []
    if folder.is_dir():
        for path in folder.iterdir():
            match = SEGMENT_PATTERN.match(path.name)
            if match and (camera is None or match["camera"] == camera):
                found.append((int(match["seq"]), path))
    return [p for _, p in sorted(found)]


def fsync_folder(folder: Path) -> None:
    """Make renames in ``folder`` durable (best effort)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
