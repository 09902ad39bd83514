"""The public names are a promise: changing them is a deliberate act, so this test pins them."""

from __future__ import annotations

import veil

PUBLIC = {
    "__version__",
    "AnonymizeOptions",
    "Anonymizer",
    "ConsentGate",
    "ConsentRegistry",
    "Detections",
    "Event",
    "FaceDecisions",
    "FacePolicy",
    "Ledger",
    "VeilError",
    "anonymize_image",
    "anonymize_video",
    "get_detector",
}


def test_public_names_are_pinned() -> None:
    assert set(veil.__all__) == PUBLIC
    for name in veil.__all__:
        assert getattr(veil, name) is not None


def test_library_call_matches_the_cli(tmp_path, astronaut_bgr) -> None:  # type: ignore[no-untyped-def]
    from veil.media.images import write_image

    write_image(tmp_path / "a.jpg", astronaut_bgr)
    result = veil.anonymize_image(tmp_path / "a.jpg", tmp_path / "b.jpg")
    assert result.faces_redacted == 1 and (tmp_path / "b.jpg").exists()
