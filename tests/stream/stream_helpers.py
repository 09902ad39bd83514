"""Helpers for the stream tests: clips with a face at a known place, face checks, real servers.

Servers are real programs: GStreamer's RTSP server (gst-rtsp-server through python3-gi, run by the
system Python), ffmpeg sending MPEG-TS over UDP and writing HLS, and Python's HTTP server serving
the HLS files. Each helper skips the test, with the reason, when its tool is missing.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import mux_tone

HERE = Path(__file__).resolve().parent
SYSTEM_PYTHON = "/usr/bin/python3"
# Where the astronaut's face is in skimage's 512x512 picture: its centre, and a box around it.
FACE_CENTER = (222, 121)
FACE_BOX = (180, 76, 265, 166)


def astronaut() -> np.ndarray:
    """scikit-image's astronaut (public domain) as BGR."""
    skimage_data = pytest.importorskip("skimage.data")
    return np.ascontiguousarray(skimage_data.astronaut()[:, :, ::-1])


@functools.lru_cache(maxsize=8)
def _scaled_face(side: int) -> np.ndarray:
    import cv2

    return np.asarray(cv2.resize(astronaut(), (side, side)), np.uint8)


def face_x(index: int, frames: int, width: int, height: int, drift: bool) -> int:
    """Left edge of the face square in frame ``index``."""
    if not drift:
        return (width - height) // 2
    return int((width - height) * index / max(1, frames - 1))


def face_center(index: int, frames: int, width: int, height: int, drift: bool) -> tuple[int, int]:
    """Pixel centre of the face in frame ``index``."""
    x = face_x(index, frames, width, height, drift)
    return x + FACE_CENTER[0] * height // 512, FACE_CENTER[1] * height // 512


def canvas(index: int, frames: int, width: int, height: int, drift: bool) -> np.ndarray:
    """One frame: grey background with the astronaut square (face included)."""
    image = np.full((height, width, 3), 40, np.uint8)
    x = face_x(index, frames, width, height, drift)
    image[:, x : x + height] = _scaled_face(height)
    return image


def make_clip(
    path: Path,
    *,
    frames: int = 48,
    fps: int = 12,
    size: tuple[int, int] = (320, 240),
    audio: bool = True,
    drift: bool = False,
    gop: int | None = None,
) -> Path:
    """An H.264 clip (MP4 or MPEG-TS by suffix) with the face, optionally with AAC audio."""
    import av

    width, height = size
    container = av.open(str(path), "w")
    stream = container.add_stream("libx264", rate=fps)
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    stream.codec_context.gop_size = gop or fps
    stream.options = {"bf": "0"}
    sound = container.add_stream("aac", rate=44100) if audio else None
    per_frame = 44100 // fps
    t = 0
    for i in range(frames):
        frame = av.VideoFrame.from_ndarray(canvas(i, frames, width, height, drift), format="bgr24")
        frame.pts = i
        frame.time_base = Fraction(1, fps)
        container.mux(stream.encode(frame))
        if sound is not None:
            t = mux_tone(container, sound, t, per_frame)
    container.mux(stream.encode(None))
    if sound is not None:
        container.mux(sound.encode(None))
    container.close()
    return path


def decode_frames(
    path: Path | str, limit: int | None = None, **open_args: object
) -> list[np.ndarray]:
    """Every video frame of a file or URL as BGR."""
    import av

    frames: list[np.ndarray] = []
    with av.open(str(path), **open_args) as container:  # type: ignore[arg-type]
        for frame in container.decode(video=0):
            frames.append(frame.to_ndarray(format="bgr24"))
            if limit is not None and len(frames) >= limit:
                break
    return frames


def count_audio(path: Path) -> int:
    """Audio packets in a file."""
    import av

    with av.open(str(path)) as container:
        if not container.streams.audio:
            return 0
        return sum(1 for p in container.demux(container.streams.audio[0]) if p.size)


def patch_mean(frame: np.ndarray, center: tuple[int, int], radius: int = 4) -> float:
    """Mean brightness of a small square around ``center``."""
    x, y = center
    return float(frame[max(0, y - radius) : y + radius, max(0, x - radius) : x + radius].mean())


def is_blank(frame: np.ndarray) -> bool:
    """Whether the whole frame is (near) black: a fail-closed frame."""
    return float(frame.mean()) < 8.0


def face_hidden(frame: np.ndarray, center: tuple[int, int]) -> bool:
    """With ``--mode solid``, a redacted face's centre is black; a raw one is skin (bright)."""
    return is_blank(frame) or patch_mean(frame, center) < 45.0


def face_visible(frame: np.ndarray, center: tuple[int, int]) -> bool:
    """The raw face centre (bright skin) is there."""
    return patch_mean(frame, center) > 90.0


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port nobody listens on now."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def need_ffmpeg() -> str:
    """The ffmpeg binary, or skip."""
    found = shutil.which("ffmpeg")
    if found is None:
        pytest.skip("ffmpeg not installed (make system-deps installs it)")
    return found


def need_gst_rtsp() -> None:
    """Skip unless the system Python can load gst-rtsp-server."""
    probe = (
        "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0');"
        "from gi.repository import Gst, GstRtspServer; Gst.init(None);"
        "import sys; sys.exit(0 if Gst.ElementFactory.find('x264enc') and "
        "Gst.ElementFactory.find('qtdemux') else 3)"
    )
    if not Path(SYSTEM_PYTHON).exists():
        pytest.skip("no system Python for the GStreamer RTSP server")
    result = subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True, timeout=30)
    if result.returncode != 0:
        pytest.skip(
            "GStreamer RTSP server not available (make system-deps installs "
            "gir1.2-gst-rtsp-server-1.0, python3-gi, gstreamer1.0-plugins-*)"
        )


def wait_port(port: int, timeout: float = 10.0) -> None:
    """Wait until something listens on ``port``."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port}")


class RtspServer:
    """GStreamer's RTSP server playing a clip (looped) at rtsp://127.0.0.1:PORT/cam."""

    def __init__(self, clip: Path, port: int | None = None) -> None:
        need_gst_rtsp()
        self.clip = clip
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"rtsp://127.0.0.1:{self.port}/cam"

    def start(self) -> RtspServer:
        self.process = subprocess.Popen(
            [SYSTEM_PYTHON, str(HERE / "rtsp_server.py"), str(self.clip), str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            wait_port(self.port)
        except TimeoutError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


@contextlib.contextmanager
def rtsp_server(clip: Path) -> Iterator[RtspServer]:
    server = RtspServer(clip).start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def ffmpeg_udp(clip: Path, port: int, *, loop: bool = True) -> Iterator[subprocess.Popen[bytes]]:
    """ffmpeg sending ``clip`` at its own rate as MPEG-TS to udp://127.0.0.1:PORT."""
    ffmpeg = need_ffmpeg()
    args = [ffmpeg, "-hide_banner", "-loglevel", "error", "-re"]
    if loop:
        args += ["-stream_loop", "-1"]
    args += ["-i", str(clip), "-c", "copy", "-f", "mpegts", f"udp://127.0.0.1:{port}?pkt_size=1316"]
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL)
    try:
        yield process
    finally:
        process.kill()
        process.wait(10)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def http_folder(folder: Path) -> Iterator[str]:
    """A real HTTP server (Python's) serving ``folder``; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def ffmpeg_hls(clip: Path, folder: Path) -> Iterator[subprocess.Popen[bytes]]:
    """ffmpeg playing ``clip`` (looped, at its own rate) into a live HLS playlist in ``folder``."""
    ffmpeg = need_ffmpeg()
    folder.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            ffmpeg, "-hide_banner", "-loglevel", "error", "-re", "-stream_loop", "-1",
            "-i", str(clip), "-c", "copy", "-f", "hls", "-hls_time", "1",
            "-hls_list_size", "5", "-hls_flags", "delete_segments+temp_file",
            str(folder / "live.m3u8"),
        ],
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        end = time.monotonic() + 15
        while not (folder / "live.m3u8").exists() and time.monotonic() < end:
            time.sleep(0.1)
        yield process
    finally:
        process.kill()
        process.wait(10)


class CorruptingRelay:
    """A UDP relay that damages a burst of datagrams (random bytes) in the middle of a stream."""

    def __init__(self, listen: int, target: int, start: int = 60, burst: int = 80) -> None:
        self.listen, self.target = listen, target
        self.start_at, self.burst = start, burst
        self.seen = 0
        self.damaged = 0
        self._stop = threading.Event()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", listen))
        self._sock.settimeout(0.2)
        self._out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._rng = np.random.default_rng(7)

    def __enter__(self) -> CorruptingRelay:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()
        self._out.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data = self._sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            self.seen += 1
            if self.start_at <= self.seen < self.start_at + self.burst:
                buf = bytearray(data)
                for ts in range(0, len(buf) - 187, 188):  # keep the sync bytes, damage payloads
                    n = 40
                    at = ts + 4 + int(self._rng.integers(0, 184 - n))
                    buf[at : at + n] = self._rng.integers(0, 256, n, dtype=np.uint8).tobytes()
                data = bytes(buf)
                self.damaged += 1
            self._out.sendto(data, ("127.0.0.1", self.target))


def run_veil(
    *args: str, timeout: float = 120, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    """``veil ARGS`` in a subprocess (the installed entry point)."""
    return subprocess.run(
        [sys.executable, "-m", "veil.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        **kwargs,  # type: ignore[arg-type]
    )
