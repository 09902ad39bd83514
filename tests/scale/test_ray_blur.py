"""``veil blur --ray``: the same outputs, summary, errors and ledger events as the local run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tests.scale.conftest import Cluster, own_processes
from veil.media.images import read_image, write_image
from veil.media.video import count_frames

pytestmark = pytest.mark.timeout(600)


def veil(*args: str | Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "veil.cli.main", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


@pytest.fixture
def batch(tmp_path: Path, astronaut_bgr: np.ndarray, make_video: Callable[..., Path]) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    write_image(folder / "a.png", astronaut_bgr)
    write_image(folder / "b.jpg", np.ascontiguousarray(astronaut_bgr[::-1]))
    make_video(folder / "clip.mp4", frames=10, audio=True)
    (folder / "broken.jpg").write_text("not a jpeg")
    return folder


def comparable(summary: dict[str, object]) -> list[dict[str, object]]:
    files = summary["files"]
    assert isinstance(files, list)
    return sorted(
        ({k: v for k, v in f.items() if k not in ("seconds", "output")} for f in files),
        key=lambda f: str(f["input"]),
    )


def test_same_outputs_summary_and_errors_as_local(
    tmp_path: Path, batch: Path, ray_cluster: Cluster
) -> None:
    env = {**ray_cluster.env, "VEIL_HOME": str(tmp_path / "home")}
    local = veil("blur", batch, "-o", tmp_path / "local", "--json", "--no-ledger", env=env)
    ray = veil(
        "blur",
        batch,
        "-o",
        tmp_path / "ray",
        "--json",
        "--no-ledger",
        "--ray",
        ray_cluster.address,
        env=env,
    )
    assert (local.returncode, ray.returncode) == (1, 1), ray.stderr
    assert comparable(json.loads(ray.stdout)) == comparable(json.loads(local.stdout))
    totals = json.loads(ray.stdout)["totals"]
    assert totals["wall_seconds"] > 0  # the whole run, across the cluster
    assert totals["fps"] == round(totals["frames"] / totals["wall_seconds"], 2) > 0
    errors = [line for line in ray.stderr.splitlines() if line.startswith("veil: error:")]
    assert errors == [line for line in local.stderr.splitlines() if line.startswith("veil: error:")]
    for name in ("a.png", "b.jpg"):
        ours = read_image(tmp_path / "ray" / name).pixels
        assert np.array_equal(ours, read_image(tmp_path / "local" / name).pixels)
    assert count_frames(tmp_path / "ray" / "clip.mp4") == 10
    assert not list((tmp_path / "ray").glob(".*partial*"))


def test_rerun_skips_finished_inputs_and_logs_each_output_once(
    tmp_path: Path, batch: Path, ray_cluster: Cluster
) -> None:
    from veil.ledger import Ledger

    env = {**ray_cluster.env, "VEIL_HOME": str(tmp_path / "home")}
    assert veil("ledger", "init", env=env).returncode == 0
    (batch / "broken.jpg").unlink()
    first = veil(
        "blur", batch, "-o", tmp_path / "out", "--json", "--ray", ray_cluster.address, env=env
    )
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["totals"]["ok"] == 3
    again = veil(
        "blur", batch, "-o", tmp_path / "out", "--json", "--ray", ray_cluster.address, env=env
    )
    files = json.loads(again.stdout)["files"]
    assert [f["status"] for f in files] == ["skipped"] * 3
    assert all("earlier run" in f["error"] for f in files)
    db = f"sqlite:///{tmp_path / 'home' / 'veil.db'}"
    with Ledger.open(db, key_dir=tmp_path / "home" / "ledger", create=False) as ledger:
        events = [leaf for leaf in ledger.log.iter_leaves()]
        assert len(events) == 3
        assert ledger.verify().ok


def test_without_ray_nothing_imports_ray(tmp_path: Path, astronaut_bgr: np.ndarray) -> None:
    write_image(tmp_path / "a.png", astronaut_bgr)
    code = (
        "import sys\nfrom veil.cli.main import main\n"
        f"try:\n    main(['blur', {str(tmp_path / 'a.png')!r}, '--no-ledger'])\n"
        "except SystemExit as exit:\n    assert exit.code == 0, exit.code\n"
        "assert 'ray' not in sys.modules, 'ray was imported'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env={"VEIL_HOME": str(tmp_path / "h"), "PATH": "/usr/bin"},
    )
    assert done.returncode == 0, done.stderr


def worker_pids(cluster: Cluster) -> list[int]:
    """Processes of Veil's Ray actors on the test cluster (never another Ray's)."""
    return own_processes(cluster.token, b"AnonymizeWorker")


def test_a_worker_killed_mid_job_is_retried_and_every_output_logged_once(
    tmp_path: Path, astronaut_bgr: np.ndarray, make_video: Callable[..., Path], ray_cluster: Cluster
) -> None:
    import signal
    import time

    from veil.ledger import Ledger

    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(4):
        make_video(folder / f"clip{i}.mp4", frames=60, size=(640, 480))
    env = {**ray_cluster.env, "VEIL_HOME": str(tmp_path / "home")}
    assert veil("ledger", "init", env=env).returncode == 0
    job = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "veil.cli.main",
            "blur",
            str(folder),
            "-o",
            str(tmp_path / "out"),
            "--json",
            "--ray",
            ray_cluster.address,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 120
    while not worker_pids(ray_cluster) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(3)  # let the workers load the detector and start on their first videos
    victims = worker_pids(ray_cluster)
    assert victims, "no Ray worker appeared"
    os.kill(victims[0], signal.SIGKILL)
    stdout, stderr = job.communicate(timeout=400)
    assert job.returncode == 0, stderr
    summary = json.loads(stdout)
    assert summary["totals"]["ok"] == 4
    assert all(count_frames(tmp_path / "out" / f"clip{i}.mp4") == 60 for i in range(4))
    home = tmp_path / "home"
    with Ledger.open(
        f"sqlite:///{home / 'veil.db'}", key_dir=home / "ledger", create=False
    ) as ledger:
        assert ledger.head().size == 4
        assert ledger.verify().ok


def test_gate_on_ray_keeps_the_consenting_person_and_logs_like_the_local_gate(
    tmp_path: Path, astronaut_bgr: np.ndarray, ray_cluster: Cluster
) -> None:
    pytest.importorskip("face_recognition_models", reason="dlib face models not installed")
    env = {**ray_cluster.env, "VEIL_HOME": str(tmp_path / "home")}
    env.pop("VEIL_MASTER_KEY", None)
    photos = tmp_path / "in"
    photos.mkdir()
    write_image(photos / "eileen.png", astronaut_bgr)
    write_image(photos / "flipped.png", np.ascontiguousarray(astronaut_bgr[:, ::-1]))
    for args in (
        ("consent", "init-key"),
        ("consent", "purpose", "add", "greet"),
        ("consent", "grant", "-s", "eileen", "--controller", "Shop", "-p", "greet",
         "--notice-version", "v1", "--notice-digest", "sha256:" + "1" * 64, "--method", "app"),
        ("consent", "enroll", "-s", "eileen", "-p", "greet", photos / "eileen.png"),
    ):  # fmt: skip
        assert veil(*args, env=env).returncode == 0, args
    local = veil("gate", photos, "-p", "greet", "-o", tmp_path / "local", "--json", env=env)
    ray = veil("gate", photos, "-p", "greet", "-o", tmp_path / "ray", "--json",
               "--ray", ray_cluster.address, env=env)  # fmt: skip
    assert ray.returncode == 0, ray.stderr
    assert comparable(json.loads(ray.stdout)) == comparable(json.loads(local.stdout))
    assert json.loads(ray.stdout)["totals"]["faces_kept"] == 2
    for name in ("eileen.png", "flipped.png"):
        ours = read_image(tmp_path / "ray" / name).pixels
        assert np.array_equal(ours, read_image(tmp_path / "local" / name).pixels)
    events = json.loads(veil("consent", "export", "-s", "eileen", "--json", env=env).stdout)
    identified = [e for e in events["events"] if e["action"] == "identify"]
    assert sum(e["counts"]["faces"] for e in identified) == 4  # two photos, twice: once each run


def test_master_key_in_the_environment_is_not_sent_to_workers(
    tmp_path: Path, astronaut_bgr: np.ndarray, ray_cluster: Cluster
) -> None:
    write_image(tmp_path / "a.png", astronaut_bgr)
    env = {**ray_cluster.env, "VEIL_HOME": str(tmp_path / "home"), "VEIL_MASTER_KEY": "ab" * 32}
    result = veil("gate", tmp_path / "a.png", "-p", "greet", "--ray", ray_cluster.address, env=env)
    assert result.returncode == 2
    assert "VEIL_MASTER_KEY_FILE" in result.stderr and "Traceback" not in result.stderr


def test_a_long_video_is_split_across_workers_and_stitched(
    tmp_path: Path, astronaut_bgr: np.ndarray, ray_cluster: Cluster
) -> None:
    import ray as ray_module

    from tests.scale.test_chunks import FRAMES, audio_packets, make_clip
    from veil.pipeline import AnonymizeOptions, MediaKind
    from veil.pipeline import Job as PlannedJob
    from veil.scale.cluster import RaySettings
    from veil.scale.ray_runner import run_batch_on_ray

    clip = make_clip(tmp_path / "long.mp4", astronaut_bgr)
    job = PlannedJob(clip, tmp_path / "out" / "long.mp4", MediaKind.VIDEO)
    starts: list[Path] = []
    try:
        summary = run_batch_on_ray(
            [job], AnonymizeOptions(),
            RaySettings(address=ray_cluster.address, workers=3, min_chunk_frames=20),
            on_start=lambda j: starts.append(j.source),
        )  # fmt: skip
    finally:
        ray_module.shutdown()
    (result,) = summary.files
    assert result.status.value == "ok", result.error
    assert result.frames == FRAMES == count_frames(job.target)
    assert result.audio_packets == audio_packets(clip)
    assert result.faces_redacted >= FRAMES  # the face in every frame
    assert starts == [clip]  # one file started, whatever its chunks
    assert not list(job.target.parent.glob(".*partial*"))
    assert not list(job.target.parent.glob(".*chunks"))  # the spool is gone after the stitch


@pytest.mark.parametrize("listening", [False, True])
def test_an_address_that_does_not_answer_fails_within_the_connect_timeout(
    tmp_path: Path, astronaut_bgr: np.ndarray, listening: bool
) -> None:
    import socket
    import time

    pytest.importorskip("ray", reason="Ray is not installed (pip install 'veil[ray]')")
    write_image(tmp_path / "a.png", astronaut_bgr)
    with socket.socket() as silent:  # bound: a port nobody else takes meanwhile
        silent.bind(("127.0.0.1", 0))
        if listening:
            silent.listen()  # accepts connections and never says a word
        port = silent.getsockname()[1]
        env = {**os.environ, "VEIL_HOME": str(tmp_path / "home"), "VEIL_RAY_CONNECT_TIMEOUT": "5"}
        started = time.monotonic()
        result = veil("blur", tmp_path / "a.png", "-o", tmp_path / "out.png", "--ray",
                      f"127.0.0.1:{port}", env=env)  # fmt: skip
        elapsed = time.monotonic() - started
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == [line for line in lines if line.startswith("veil: error:")] and len(lines) == 1
    assert f"cannot reach the Ray cluster at 127.0.0.1:{port}" in lines[0]
    assert elapsed < 60  # Ray alone retries for minutes
    assert not (tmp_path / "out.png").exists()


def test_a_worker_lost_past_its_retries_ends_the_run_with_one_error_line(
    tmp_path: Path, make_video: Callable[..., Path], ray_cluster: Cluster
) -> None:
    import signal
    import time

    clip = make_video(tmp_path / "long.mp4", frames=600, size=(320, 240))  # cut at key frame 250
    out = tmp_path / "out" / "long.mp4"
    env = {**ray_cluster.env, "VEIL_HOME": str(tmp_path / "home")}
    job = subprocess.Popen(
        [sys.executable, "-m", "veil.cli.main", "blur", str(clip), "-o", str(out), "--json",
         "--no-ledger", "--ray", ray_cluster.address, "--ray-workers", "3", "--ray-retries", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    spool = out.parent / ".long.mp4.chunks"
    deadline = time.monotonic() + 240
    while not (spool.is_dir() and worker_pids(ray_cluster)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert spool.is_dir(), "the video was not split into spooled chunks"
    assert oct(spool.stat().st_mode & 0o777) == oct(0o700)
    time.sleep(2)
    os.kill(worker_pids(ray_cluster)[0], signal.SIGKILL)
    stdout, stderr = job.communicate(timeout=400)
    assert job.returncode == 1, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("veil: error:")]
    assert len(errors) == 1 and "Ray cluster failed the run" in errors[0], stderr
    assert "Traceback" not in stderr and stdout == ""
    assert not spool.exists() and not out.exists()  # nothing that looks finished, no spool
    assert not list(out.parent.glob(".*partial*"))
