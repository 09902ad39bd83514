"""``veil stream``: anonymize live camera streams before anything is stored or watched."""

from __future__ import annotations

import contextlib
import sys
import time
from typing import TYPE_CHECKING, Annotated

import typer

from veil.cli.media_flags import View, say
from veil.cli.output import help_text
from veil.cli.parsing import parses
from veil.stream.request import StreamRequest

if TYPE_CHECKING:
    from veil.stream.runner import StreamRun

Option = typer.Option
STREAM_FLAGS = {
    "source": typer.Argument(
        help="Camera URL, device or file (or use --cameras).", show_default=False
    ),
    "cameras_file": Option("--cameras", help="YAML file listing several cameras."),
    "name": Option("--name", help="Camera name (segment file prefix)."),
    "record": Option(
        "--record", help="Folder for rolling MP4 segments (several cameras: subfolders)."
    ),
    "serve": Option(
        "--serve", help="HOST:PORT for /metrics, /health, /preview/NAME.mjpg and /hls/NAME/."
    ),
    "restream": Option("--restream", help=help_text("restream")),
    "hls_dir": Option("--hls-dir", help="Folder for HLS restream files (default: temporary)."),
    "segment_seconds": Option(
        "--segment-seconds", min=1.0, help="Length of each recorded segment."
    ),
    "transport": Option("--transport", help="RTSP transport: tcp or udp."),
    "max_latency": Option(
        "--max-latency",
        min=0.05,
        help="Seconds a frame may take to be checked; later frames leave fully blanked.",
    ),
    "adapt": Option(
        "--adapt/--no-adapt",
        help="When detection falls behind, detect less often, then on smaller images.",
    ),
    "realtime": Option(
        "--realtime/--fast",
        help="Files: play at their own frame rate (--fast: as fast as Veil can).",
    ),
    "loop": Option("--loop", help="Files: play again when they end."),
    "max_reconnects": Option(
        "--max-reconnects", min=0, help="Give up after N failed reconnections (default: never)."
    ),
    "timeout": Option("--timeout", min=0.5, help="Seconds without data before reconnecting."),
    "purpose": Option("--purpose", help="Keep the faces of people who consented to this purpose."),
    "db": Option("--db", help="Ledger and consent database URL (implies --ledger).", envvar=None),
    "legal_basis": Option(
        "--legal-basis", help="Legal basis named in ledger events (PIPL Art. 13)."
    ),
    "crf": Option("--crf", min=0, max=51, help="Recording quality: lower is better."),
    "preset": Option("--preset", help="x264 preset (ultrafast keeps up best)."),
}
Duration = Annotated[
    float | None, Option("--duration", min=0.1, help="Stop after this many seconds.")
]
NOT_LIVE = ("tiles", "quality", "track", "codec", "crf", "preset", "keep_metadata", "overwrite")


@parses(
    flags=STREAM_FLAGS,
    defaults={"ledger": None},  # on with --db or once `veil ledger init` has been run
    skip=("policy", *(f"options.{name}" for name in NOT_LIVE)),
)
def stream(request: StreamRequest, view: View, duration: Duration = None) -> None:
    """Play ``request`` until its cameras end, ``duration`` passes, SIGTERM or Ctrl-C."""
    from veil.stream.live import run_stream

    outcome = run_stream(request, duration=duration, watcher=LiveView(view))
    view.present(outcome.to_dict(), lambda: say(*outcome.camera_lines()))
    if outcome.error is not None:
        raise outcome.error


class LiveView:
    """The terminal's :class:`~veil.stream.live.StreamWatcher`: stop on signals, show progress."""

    def __init__(self, view: View) -> None:
        self.view = view
        self.ticking = not view.silent and sys.stderr.isatty()
        self.last_tick = 0.0

    def running(self, run: StreamRun) -> contextlib.AbstractContextManager[None]:
        """SIGTERM and SIGINT stop ``run`` (it finishes its segments) instead of killing Veil."""
        from veil.core.signals import stop_on_signals

        return stop_on_signals(run.stop)

    def started(self, run: StreamRun) -> None:
        """One line: how many cameras, where it serves, how to stop."""
        if not self.view.silent:
            where = f" (serving {run.url})" if run.url else ""
            say(f"veil: streaming {len(run.cameras)} camera(s){where}; Ctrl-C or SIGTERM stops")

    def tick(self, run: StreamRun) -> None:
        """On a terminal, every camera's counts every two seconds."""
        from veil.stream.live import progress_line

        if self.ticking and time.monotonic() - self.last_tick >= 2.0:
            self.last_tick = time.monotonic()
            say(progress_line(run))


def register(app: typer.Typer) -> None:
    """Add ``veil stream``."""
    app.command("stream", help=help_text("stream"))(stream)
