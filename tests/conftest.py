"""Fixtures shared by the whole suite: sample faces that ship with installed packages, made videos."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


PG_BASE = os.environ.get("VEIL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards (or a skip)."""
    import psycopg

    try:
        with psycopg.connect(PG_BASE, connect_timeout=2):
            pass
    except psycopg.Error:
        pytest.skip(f"PostgreSQL is not reachable at {PG_BASE}")
    schema = f"veil_test_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_BASE}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_BASE, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data, or skip the test when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(
            f"../shared/data not found ({path}): evaluation data is only present beside the repo"
        )
    return path


@pytest.fixture(scope="session", autouse=True)
def isolated_model_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One derived-model cache ($VEIL_CACHE) for the whole run, never the user's."""
    cache = tmp_path_factory.mktemp("veil-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VEIL_CACHE", str(cache))
        yield cache


@pytest.fixture(autouse=True)
def isolated_veil_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test gets its own $VEIL_HOME (keys, SQLite ledger), never the user's."""
    home = tmp_path_factory.mktemp("veil-home")
    monkeypatch.setenv("VEIL_HOME", str(home))
    monkeypatch.delenv("VEIL_DB", raising=False)
    return home


def mux_tone(container: Any, audio_stream: Any, start: int, samples: int) -> int:
    """Encode ``samples`` of a 440 Hz mono tone at 44.1 kHz from sample ``start``; the next start."""
    import av

    tone = 0.2 * np.sin(2 * np.pi * 440 * (start + np.arange(samples)) / 44100)
    chunk = av.AudioFrame.from_ndarray(
        tone.astype(np.float32)[None, :], format="fltp", layout="mono"
    )
    chunk.sample_rate = 44100
    chunk.pts = start
    container.mux(audio_stream.encode(chunk))
    return start + samples


@pytest.fixture(scope="session")
def astronaut_bgr() -> np.ndarray:
    """scikit-image's astronaut (Eileen Collins, public domain): one clear frontal face."""
    skimage_data = pytest.importorskip("skimage.data")
    return np.ascontiguousarray(skimage_data.astronaut()[:, :, ::-1])


@pytest.fixture(scope="session")
def make_video(astronaut_bgr: np.ndarray) -> Callable[..., Path]:
    """Make a short H.264 video of the astronaut drifting across the frame, optionally with audio."""
    import av

    def make(
        path: Path,
        frames: int = 24,
        fps: int = 12,
        size: tuple[int, int] = (320, 240),
        audio: bool = False,
        rotation: int = 0,
        metadata: dict[str, str] | None = None,
    ) -> Path:
        import cv2

        width, height = size
        face = cv2.resize(astronaut_bgr, (height, height))
        container = av.open(str(path), "w")
        if metadata:
            container.metadata.update(metadata)
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if rotation:
            stream.set_display_rotation(rotation)
        audio_stream = container.add_stream("aac", rate=44100) if audio else None
        samples_per_frame = 44100 // fps
        t = 0
        for i in range(frames):
            canvas = np.full((height, width, 3), 40, np.uint8)
            x = int((width - height) * i / max(1, frames - 1))
            canvas[:, x : x + height] = face
            frame = av.VideoFrame.from_ndarray(canvas, format="bgr24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            container.mux(stream.encode(frame))
            if audio_stream is not None:
                t = mux_tone(container, audio_stream, t, samples_per_frame)
        container.mux(stream.encode(None))
        if audio_stream is not None:
            container.mux(audio_stream.encode(None))
        container.close()
        return path

    return make
