"""Scale-out benchmark: `veil blur` locally beside `veil blur --ray` with 1 and 2 workers.

The same folder of photos and the same long video (a loop of the shared videocall clip) go
through the local engine and through a Ray cluster started once for the run (`ray start --head`,
so its start-up is measured apart). Reports wall time, throughput, Ray's overhead per task, the
split-and-stitch video run against the whole-video run, and a projection to 100 nodes.

The issue's full run, the 10-minute loop of ../shared/data/faces/videos/videocall_1280x720.mp4:
    .venv/bin/python bench/ray_bench.py --loop-seconds 600
It anonymizes the 19,800-frame (33 fps) video three times (local, 1 worker, 2 workers) at about
20 frames/s each on a quiet 2-core machine: about 50 minutes in all, plus 40 photos (about
2 minutes). A short check of the same steps: --quick (10 photos, a 20 s loop, about 3 minutes).
Only the cluster the script started is stopped (its own processes), never `ray stop`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import blur_bench as b
from common import (
    command_line,
    machine_markdown,
    markdown_table,
    run_measured,
    veil_python,
    write_result,
)

WIDER = b.WIDER


def photo_folder(target: Path, count: int) -> Path:
    """``count`` WIDER FACE photos (or scikit-image's astronaut, copied, without shared data)."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    found = sorted(WIDER.rglob("*.jpg"))[:count] if WIDER.exists() else []
    if found:
        for i, path in enumerate(found):
            shutil.copy(path, target / f"{i:04d}.jpg")
    else:
        import cv2
        from skimage import data

        for i in range(count):
            cv2.imwrite(str(target / f"{i:04d}.png"), data.astronaut()[:, :, ::-1])
    return target


def start_cluster(work: Path, env: dict[str, str]) -> str:
    ray = Path(sys.executable).with_name("ray")
    ray = ray if ray.exists() else veil_python().with_name("ray")
    port = free_port()
    started = time.perf_counter()
    subprocess.run(
        [str(ray), "start", "--head", "--num-cpus=2", f"--port={port}",
         "--node-ip-address=127.0.0.1", "--include-dashboard=false",
         f"--temp-dir={work / 'ray'}", "--disable-usage-stats"],
        env=env, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    print(f"ray start --head: {time.perf_counter() - started:.1f} s", flush=True)
    return f"127.0.0.1:{port}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def own_processes(token: str) -> list[int]:
    """The processes of the cluster this script started: its auth token is in their
    environment (another user's or helper's Ray is left alone)."""
    marker = f"RAY_AUTH_TOKEN={token}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and int(proc.name) != os.getpid():
            try:
                if marker in (proc / "environ").read_bytes().split(b"\0"):
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


def stop_cluster(env: dict[str, str]) -> None:
    """SIGTERM this script's cluster, SIGKILL what is left after 30 s."""
    for sig, grace in ((signal.SIGTERM, 30.0), (signal.SIGKILL, 5.0)):
        for pid in own_processes(env["RAY_AUTH_TOKEN"]):
            with contextlib.suppress(OSError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while own_processes(env["RAY_AUTH_TOKEN"]) and time.monotonic() < deadline:
            time.sleep(0.5)


def blur(src: Path, out: Path, env: dict[str, str], *ray: str) -> tuple[float, dict[str, object]]:
    if out.exists():
        shutil.rmtree(out) if out.is_dir() else out.unlink()
    argv = [
        veil_python(),
        "-m",
        "veil.cli.main",
        "blur",
        src,
        "-o",
        out,
        "--no-ledger",
        "--json",
        *ray,
    ]
    run = run_measured(argv, env=env).check()
    return run.seconds, json.loads(run.stdout)["totals"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10 photos and a 20 s loop")
    parser.add_argument("--photos", type=int, default=40, help="photos in the folder (40)")
    parser.add_argument(
        "--loop-seconds",
        "--video-seconds",
        dest="seconds",
        type=int,
        default=60,
        help="length of the looped 720p video in seconds (60; the issue's run: 600)",
    )
    args = parser.parse_args()
    photos_n, seconds = (10, 20) if args.quick else (args.photos, args.seconds)
    b.isolate_veil()
    work = b.WORK / "ray"
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token",
           "RAY_AUTH_TOKEN": secrets.token_hex(32)}  # fmt: skip
    photos = photo_folder(work / "photos", photos_n)
    video = b.loop_clip(b.VIDEO, work / f"videocall_{seconds}s.mp4", seconds)
    address = start_cluster(work, env)
    rows, timings = [], {}
    try:
        for label, src, out in (("photos", photos, work / "out-photos"),
                                ("video", video, work / "out.mp4")):  # fmt: skip
            for runner, extra in (("local", ()), ("ray, 1 worker", ("--ray", address, "--ray-workers", "1")),
                                  ("ray, 2 workers", ("--ray", address, "--ray-workers", "2"))):  # fmt: skip
                wall, totals = blur(src, out, env, *extra)
                timings[(label, runner)] = wall
                frames = int(str(totals["frames"]))
                rows.append([label, runner, totals["files"], frames, f"{wall:.1f}",
                             f"{frames / wall:.1f}", f"{timings[(label, 'local')] / wall:.2f}x"])  # fmt: skip
                print(rows[-1], flush=True)
    finally:
        stop_cluster(env)
    per_task = (timings[("photos", "ray, 1 worker")] - timings[("photos", "local")]) / photos_n
    fps_2 = float(rows[-1][5])
    text = [
        "## Scale-out on Ray: `veil blur --ray` beside the local engine",
        "",
        machine_markdown(),
        "",
        f"Command: `{command_line([veil_python(), 'bench/ray_bench.py', *sys.argv[1:]])}`. "
        f"{photos_n} photos, one {seconds} s 720p video (a loop of videocall_1280x720.mp4); "
        "one local Ray cluster of 2 CPUs started once (`ray start --head`); every run is a fresh "
        "`veil blur` process (model load included). Speed-up is against the local run.",
        "",
        markdown_table(
            ["input", "runner", "files", "frames", "seconds", "frames/s", "speed-up"], rows
        ),
        "",
        f"Ray's overhead per photo with one worker: {per_task * 1000:.0f} ms "
        "(connecting, the actor's model load and per-task scheduling, spread over the photos).",
        "With 2 workers the video is cut at key frames into chunks anonymized in parallel; each "
        "worker spools its chunk's packets to a private folder beside the output and the driver "
        "stitches from those files (a remux, no decoding); with 1 worker it is one whole-file task.",
        "",
        "### Projection: 100 nodes, a 1,000-hour archive",
        "",
        f"At the measured {fps_2:.1f} frames/s per 2-core node on 720p (about half that at 1080p), "
        "1,000 hours at 25 fps (90 M frames) take about "
        f"{90e6 / (fps_2 / 2) / 100 / 3600:.0f} hours on 100 such nodes at 1080p. What saturates first "
        "is not the sequencer (one ledger event per output file: a few thousand appends in all, "
        "against the ledger's measured thousands per second) and no longer the object store: "
        "chunk packets do not travel through Ray, each worker spools its chunk to shared storage "
        "beside the output and the driver receives only counts and a file name per chunk. The "
        "driver still stitches every chunked video, so it reads the whole output once from "
        "storage and writes it once (about 2 TB each way at 5 Mbit/s, some 12 hours of one "
        "node's 1 Gbit/s link per direction across the run): that remux is the next limit. The "
        "design removes it by handing each video's stitch to a worker on the node that holds "
        "the most of its chunks (the stitch is a remux, no decoding), leaving the driver with "
        "manifests and ledger events only; storage bandwidth (reading the archive and writing "
        "the output once, about 4 TB, plus the spool written and read once more) is then the "
        "limit, as for any transcode.",
    ]
    print(write_result("ray", "\n".join(text) + "\n"))


if __name__ == "__main__":
    main()
