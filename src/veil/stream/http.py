"""The camera operator's HTTP endpoint (standard library server, one thread per client).

- ``/metrics``: Prometheus text format (frames in/out, faces redacted, frames blanked by reason,
  detector latency, added latency, reconnects, segments).
- ``/health``: JSON per camera; status 200 when every camera streams, 503 otherwise.
- ``/preview/CAMERA.mjpg`` (MJPEG, for browsers and VLC) and ``/preview/CAMERA.jpg`` (one frame).
- ``/hls/CAMERA/index.m3u8`` and its ``.ts`` segments: the HLS restream.

Everything served here has been redacted already; the server only reads what sinks publish.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from veil.errors import ConfigError
from veil.stream.metrics import CameraMetrics, render_prometheus
from veil.stream.preview import PreviewFrame

log = logging.getLogger("veil.stream")

_HLS_FILE = re.compile(r"^[A-Za-z0-9_.-]+\.(m3u8|ts)$")


@dataclass
class Endpoint:
    """What the server shows of one camera."""

    metrics: CameraMetrics
    preview: PreviewFrame | None = None
    hls_folder: Path | None = None


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` or ``PORT`` (on 127.0.0.1) to an address; port 0 picks a free port."""
    host, _, port = text.rpartition(":")
    try:
        number = int(port)
    except ValueError:
        raise ConfigError(f"--serve {text!r}: expected HOST:PORT or PORT") from None
    if not 0 <= number <= 65535:
        raise ConfigError(f"--serve {text!r}: port must be between 0 and 65535")
    return (host.strip("[]") or "127.0.0.1"), number


class StreamServer:
    """Serves health, metrics, previews and HLS for a set of cameras in a background thread."""

    def __init__(
        self,
        address: tuple[str, int],
        endpoints: Callable[[], Sequence[Endpoint]],
    ) -> None:
        self._endpoints = endpoints
        handler = _make_handler(self)
        try:
            self.httpd = ThreadingHTTPServer(address, handler)
        except OSError as exc:
            raise ConfigError(f"cannot listen on {address[0]}:{address[1]} ({exc})") from exc
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, name="veil-http", daemon=True
        )

    @property
    def url(self) -> str:
        """The base URL clients use."""
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        """Start serving."""
        self._thread.start()

    def close(self) -> None:
        """Stop serving and release the port."""
        self.httpd.shutdown()
        self.httpd.server_close()

    def endpoints(self) -> dict[str, Endpoint]:
        """The cameras served now, by name."""
        return {e.metrics.camera: e for e in self._endpoints()}


def _make_handler(server: StreamServer) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to ``server``'s cameras."""
    return type("Handler", (_Handler,), {"stream_server": server})


class _Handler(BaseHTTPRequestHandler):
    """Answers one client; ``stream_server`` is set on the subclass that _make_handler makes."""

    server_version = "veil-stream"
    stream_server: StreamServer

    def log_message(self, format: str, *args: object) -> None:
        log.debug("http: " + format, *args)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        endpoints = self.stream_server.endpoints()
        if path == "/metrics":
            text = render_prometheus(e.metrics for e in endpoints.values())
            self._send(200, text.encode(), "text/plain; version=0.0.4; charset=utf-8")
        elif path == "/health":
            self._health(endpoints)
        elif path == "/":
            names = "\n".join(f"  {name}" for name in endpoints)
            text = f"veil stream\n/metrics\n/health\n/preview/NAME.mjpg\n/hls/NAME/index.m3u8\ncameras:\n{names}\n"
            self._send(200, text.encode(), "text/plain; charset=utf-8")
        elif m := re.fullmatch(r"/preview/([^/]+)\.(mjpg|jpg)", path):
            self._preview(endpoints.get(m[1]), m[2])
        elif m := re.fullmatch(r"/hls/([^/]+)/([^/]+)", path):
            self._hls(endpoints.get(m[1]), m[2])
        else:
            self._send(404, b"not found\n", "text/plain")

    def _preview(self, endpoint: Endpoint | None, kind: str) -> None:
        if endpoint is None or endpoint.preview is None:
            self._send(404, b"no such preview\n", "text/plain")
        elif kind == "jpg":
            self._jpeg(endpoint.preview)
        else:
            self._mjpeg(endpoint.preview)

    def _hls(self, endpoint: Endpoint | None, name: str) -> None:
        if endpoint is None or endpoint.hls_folder is None or not _HLS_FILE.match(name):
            self._send(404, b"not found\n", "text/plain")
        else:
            self._file(endpoint.hls_folder / name)

    def _health(self, endpoints: dict[str, Endpoint]) -> None:
        cameras = {name: e.metrics.snapshot() for name, e in endpoints.items()}
        healthy = bool(cameras) and all(c["up"] for c in cameras.values())
        body = {"status": "ok" if healthy else "degraded", "cameras": cameras}
        self._send(
            200 if healthy else 503,
            (json.dumps(body, indent=2) + "\n").encode(),
            "application/json",
        )

    def _jpeg(self, preview: PreviewFrame) -> None:
        frame = preview.jpeg(0, timeout=5.0)
        if frame is None:
            self._send(503, b"no frame yet\n", "text/plain")
        else:
            self._send(200, frame[1], "image/jpeg")

    def _mjpeg(self, preview: PreviewFrame) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        version = 0
        try:
            while True:
                frame = preview.jpeg(version, timeout=10.0)
                if frame is None:
                    return
                version, data = frame
                self.wfile.write(
                    b"--frame\r\nContent-Type: image/jpeg\r\n"
                    + f"Content-Length: {len(data)}\r\n\r\n".encode()
                    + data
                    + b"\r\n"
                )
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return

    def _file(self, path: Path) -> None:
        try:
            data = path.read_bytes()
        except OSError:
            self._send(404, b"not found\n", "text/plain")
            return
        kind = "application/vnd.apple.mpegurl" if path.suffix == ".m3u8" else "video/mp2t"
        self._send(200, data, kind)

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(HTTPStatus(status))
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)
