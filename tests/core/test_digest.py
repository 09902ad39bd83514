"""One ``file_digest`` for trace events, stream segments and the Ray manifest."""

from __future__ import annotations

import hashlib
from pathlib import Path

from veil.core.digest import file_digest


def test_digest_is_sha256_of_the_bytes_across_chunks(tmp_path: Path) -> None:
    data = bytes(range(256)) * 1000
    path = tmp_path / "clip.mp4"
    path.write_bytes(data)
    expected = "sha256:" + hashlib.sha256(data).hexdigest()
    assert file_digest(path) == expected
    assert file_digest(path, chunk=7) == expected  # chunk boundaries do not matter
    (tmp_path / "empty").write_bytes(b"")
    assert file_digest(tmp_path / "empty") == "sha256:" + hashlib.sha256(b"").hexdigest()


def test_trace_stream_and_manifest_use_the_same_function() -> None:
    import veil.scale.manifest
    import veil.stream.events
    import veil.trace

    for module in (veil.trace, veil.stream.events, veil.scale.manifest):
        assert module.file_digest is file_digest, module.__name__
