"""A real RTSP server for the tests: GStreamer's gst-rtsp-server playing an MP4 clip (H.264 as stored).

Run by the system Python (python3-gi): ``/usr/bin/python3 rtsp_server.py CLIP PORT``; serves
``rtsp://127.0.0.1:PORT/cam`` (over TCP or UDP, as the client asks) until killed.
"""

from __future__ import annotations

import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main() -> None:
    clip, port = sys.argv[1], sys.argv[2]
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(
        f'( filesrc location="{clip}" ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96 '
        "config-interval=1 )"
    )
    factory.set_shared(True)
    server.get_mount_points().add_factory("/cam", factory)
    server.attach(None)
    print(f"rtsp://127.0.0.1:{port}/cam", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
