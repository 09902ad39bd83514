"""``veil stream``: anonymize live camera streams before anything is stored or watched."""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from veil.cli import media_flags as flags
from veil.cli.anonymize import MediaFlags
from veil.errors import ConfigError
from veil.vision.redact import MaskShape, RedactionMode

if TYPE_CHECKING:
    from veil.stream.runner import StreamRun

D = flags.DEFAULTS

HELP = """Anonymize live camera streams: record, restream and preview only redacted video.

SOURCE is an RTSP URL (rtsp://user:pass@camera/stream), an HTTP or HLS URL, a UDP MPEG-TS
address (udp://0.0.0.0:5000), a capture device (/dev/video0) or a video file (played at its own
rate). Frames that cannot be checked within --max-latency leave fully blanked, never raw.

Examples:

  veil stream rtsp://cam.local/stream1 --record /srv/rec --serve 0.0.0.0:8080

  veil stream udp://0.0.0.0:5000 --record rec/ --restream hls --serve 8080

  veil stream --cameras cameras.yaml --ledger --db postgresql://veil@db/veil

  veil stream lobby.mp4 --record rec/ --segment-seconds 10 --duration 60 --json
"""

Source = Annotated[
    str | None,
    typer.Argument(help="Camera URL, device or file (or use --cameras).", show_default=False),
]
Record = Annotated[
    Path | None,
    typer.Option("--record", help="Folder for rolling MP4 segments (several cameras: subfolders)."),
]
Cameras = Annotated[
    Path | None, typer.Option("--cameras", help="YAML file listing several cameras.")
]
Name = Annotated[str, typer.Option("--name", help="Camera name (segment file prefix).")]
Serve = Annotated[
    str | None,
    typer.Option(
        "--serve", help="HOST:PORT for /metrics, /health, /preview/NAME.mjpg and /hls/NAME/."
    ),
]
Restream = Annotated[
    str | None,
    typer.Option(
        "--restream",
        help="'hls' (served under --serve at /hls/NAME/index.m3u8) or a URL to push to "
        "(rtsp://, udp://, rtmp://).",
    ),
]
HlsDir = Annotated[
    Path | None,
    typer.Option("--hls-dir", help="Folder for HLS restream files (default: temporary)."),
]
SegmentSeconds = Annotated[
    float, typer.Option("--segment-seconds", min=1.0, help="Length of each recorded segment.")
]
Transport = Annotated[str, typer.Option("--transport", help="RTSP transport: tcp or udp.")]
MaxLatency = Annotated[
    float,
    typer.Option(
        "--max-latency",
        min=0.05,
        help="Seconds a frame may take to be checked; later frames leave fully blanked.",
    ),
]
Adapt = Annotated[
    bool,
    typer.Option(
        "--adapt/--no-adapt",
        help="When detection falls behind, detect less often, then on smaller images.",
    ),
]
Realtime = Annotated[
    bool,
    typer.Option(
        "--realtime/--fast",
        help="Files: play at their own frame rate (--fast: as fast as Veil can).",
    ),
]
Loop = Annotated[bool, typer.Option("--loop", help="Files: play again when they end.")]
Duration = Annotated[
    float | None, typer.Option("--duration", min=0.1, help="Stop after this many seconds.")
]
MaxReconnects = Annotated[
    int | None,
    typer.Option(
        "--max-reconnects", min=0, help="Give up after N failed reconnections (default: never)."
    ),
]
Timeout = Annotated[
    float, typer.Option("--timeout", min=0.5, help="Seconds without data before reconnecting.")
]
Purpose = Annotated[
    str | None,
    typer.Option("--purpose", help="Keep the faces of people who consented to this purpose."),
]
Db = Annotated[
    str | None,
    typer.Option("--db", help="Ledger and consent database URL (implies --ledger).", envvar=None),
]
LegalBasis = Annotated[
    str, typer.Option("--legal-basis", help="Legal basis named in ledger events (PIPL Art. 13).")
]
Crf = Annotated[
    int, typer.Option("--crf", min=0, max=51, help="Recording quality: lower is better.")
]
Preset = Annotated[str, typer.Option("--preset", help="x264 preset (ultrafast keeps up best).")]


def stream(
    source: Source = None,
    record: Record = None,
    cameras: Cameras = None,
    name: Name = "camera",
    serve: Serve = None,
    restream: Restream = None,
    hls_dir: HlsDir = None,
    segment_seconds: SegmentSeconds = 60.0,
    transport: Transport = "tcp",
    max_latency: MaxLatency = 0.5,
    adapt: Adapt = True,
    realtime: Realtime = True,
    loop: Loop = False,
    duration: Duration = None,
    max_reconnects: MaxReconnects = None,
    timeout: Timeout = 5.0,
    purpose: Purpose = None,
    ledger: flags.LedgerFlag = None,
    db: Db = None,
    controller: flags.Controller = None,
    legal_basis: LegalBasis = "other_law",
    thresh: flags.Thresh = D["thresh"],
    mask_scale: flags.MaskScale = D["mask_scale"],
    mode: flags.Mode = RedactionMode.BLUR,
    shape: flags.Shape = MaskShape.ELLIPSE,
    detector: flags.DetectorName = D["detector"],
    max_side: flags.MaxSide = D["max_side"],
    detect_every: flags.DetectEvery = D["detect_every"],
    hold_frames: flags.HoldFrames = D["hold_frames"],
    crf: Crf = 23,
    preset: Preset = "ultrafast",
    keep_audio: flags.KeepAudio = True,
    threads: flags.Threads = 0,
    precision: flags.PrecisionOption = D["precision"],
    json_output: flags.JsonOutput = False,
    quiet: flags.Quiet = False,
) -> None:
    from veil.stream.setup import StreamRequest, build_run
    from veil.trace import ledger_configured

    if (source is None) == (cameras is None):
        raise ConfigError("give one SOURCE or --cameras FILE")
    if transport not in {"tcp", "udp"}:
        raise ConfigError(f"--transport {transport!r}: use tcp or udp")
    media = MediaFlags(  # no --tiles, --track, --codec, --keep-metadata: their defaults
        thresh=thresh,
        mask_scale=mask_scale,
        mode=mode,
        shape=shape,
        detector=detector,
        max_side=max_side,
        detect_every=detect_every,
        hold_frames=hold_frames,
        crf=crf,
        keep_audio=keep_audio,
        threads=threads,
        precision=precision,
    )
    request = StreamRequest(
        source=source,
        cameras_file=cameras,
        name=name,
        record=record,
        serve=serve,
        restream=restream,
        hls_dir=hls_dir,
        segment_seconds=segment_seconds,
        transport=transport,
        max_latency=max_latency,
        adapt=adapt,
        realtime=realtime,
        loop=loop,
        max_reconnects=max_reconnects,
        timeout=timeout,
        purpose=purpose,
        ledger=ledger if ledger is not None else (db is not None or ledger_configured()),
        db=db,
        controller=controller,
        legal_basis=legal_basis,
        crf=crf,
        preset=preset,
        options=media.options(),
    )
    built = build_run(request)
    run = built.run
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    for sig in previous:
        signal.signal(sig, lambda *_: run.stop())
    try:
        run.start()
        if not quiet and not json_output:
            where = f" (serving {run.url})" if run.url else ""
            _say(f"veil: streaming {len(run.cameras)} camera(s){where}; Ctrl-C or SIGTERM stops")
        summary = run.wait(duration, tick=_ticker(quiet or json_output))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        built.close()
    summary.ledger_events = built.ledger_events
    if json_output:
        sys.stdout.write(json.dumps(summary.to_dict(), indent=2) + "\n")
    elif not quiet:
        for cam in summary.cameras:
            _say(
                f"{cam.name}: {cam.frames_out} frames out of {cam.frames_in} in "
                f"({cam.frames_dropped} dropped), {cam.faces_redacted} faces redacted, "
                f"{cam.frames_blanked} frames blanked, {cam.reconnects} reconnects, "
                f"{len(cam.segments)} segments"
            )
    errors = run.errors
    if errors:
        raise errors[0]


def _ticker(silent: bool) -> Callable[[StreamRun], None] | None:
    if silent or not sys.stderr.isatty():
        return None
    from rich.console import Console

    console = Console(stderr=True)
    last = [0.0]

    def tick(run: StreamRun) -> None:
        import time

        now = time.monotonic()
        if now - last[0] < 2.0:
            return
        last[0] = now
        parts = []
        for camera in run.cameras:
            v = camera.metrics.values
            parts.append(
                f"{camera.name}: {v['frames_out']} out, {v['faces_redacted']} faces, "
                f"{camera.metrics.frames_blanked} blanked"
            )
        console.print(" | ".join(parts), highlight=False)

    return tick


def _say(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def register(app: typer.Typer) -> None:
    """Add ``veil stream``."""
    app.command("stream", help=HELP)(stream)
