from __future__ import annotations

import numpy as np
import pytest

from veil.errors import ConfigError
from veil.vision.detections import Detections
from veil.vision.redact import (
    MaskShape,
    RedactionMode,
    RedactionSettings,
    redact_faces,
    redact_frame,
)


def noisy(h: int = 200, w: int = 200, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


FACE = Detections([[50, 50, 150, 150]], [0.9])


@pytest.mark.parametrize("mode", [RedactionMode.BLUR, RedactionMode.PIXELATE, RedactionMode.SOLID])
def test_every_mode_destroys_detail_inside_and_keeps_outside(mode: RedactionMode) -> None:
    original = noisy()
    frame = redact_faces(
        original.copy(), FACE, RedactionSettings(mode=mode, shape=MaskShape.BOX, mask_scale=1.0)
    )
    inside = frame[50:150, 50:150].astype(float)
    # Random noise has per-pixel std ~74; a redacted face keeps almost no pixel-level detail.
    detail = np.abs(np.diff(inside, axis=1)).mean()
    assert detail < 10
    assert np.array_equal(frame[:50], original[:50])
    assert np.array_equal(frame[150:], original[150:])


def test_none_mode_changes_nothing() -> None:
    original = noisy()
    frame = redact_faces(original.copy(), FACE, RedactionSettings(mode=RedactionMode.NONE))
    assert np.array_equal(frame, original)


def test_ellipse_leaves_corners_and_covers_centre() -> None:
    original = noisy()
    frame = redact_faces(
        original.copy(), FACE, RedactionSettings(mode=RedactionMode.SOLID, mask_scale=1.0)
    )
    assert np.array_equal(frame[51, 51], original[51, 51])  # box corner outside the ellipse
    assert (frame[100, 60:140] == 0).all()  # the ellipse's full width at the centre row
    assert (frame[60:140, 100] == 0).all()


def test_mask_scale_grows_the_region() -> None:
    small = redact_faces(
        noisy(),
        FACE,
        RedactionSettings(mode=RedactionMode.SOLID, shape=MaskShape.BOX, mask_scale=1.0),
    )
    large = redact_faces(
        noisy(),
        FACE,
        RedactionSettings(mode=RedactionMode.SOLID, shape=MaskShape.BOX, mask_scale=1.5),
    )
    assert (large == 0).all(axis=2).sum() > (small == 0).all(axis=2).sum() * 2


def test_strength_scales_with_face_size() -> None:
    """A large face is reduced to as few samples across as a small one: no weak kernel on big faces."""
    settings = RedactionSettings(mode=RedactionMode.PIXELATE, shape=MaskShape.BOX, mask_scale=1.0)
    for size in (40, 400):
        frame = redact_faces(noisy(size, size), Detections([[0, 0, size, size]], [1]), settings)
        distinct_rows = len(np.unique(frame[:, size // 2, 0]))
        assert distinct_rows <= 8, (size, distinct_rows)


def test_faces_at_the_frame_edge_are_redacted() -> None:
    frame = redact_faces(
        noisy(),
        Detections([[-40, 150, 60, 260]], [0.9]),
        RedactionSettings(mode=RedactionMode.SOLID),
    )
    assert (frame[190:200, 0:20] == 0).all()


def test_redact_frame_blanks_everything() -> None:
    assert not redact_frame(noisy()).any()


def test_bad_mask_scale_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        RedactionSettings(mask_scale=0.1)


@pytest.mark.parametrize("shape", [MaskShape.ELLIPSE, MaskShape.BOX])
def test_a_box_with_swapped_corners_is_still_hidden(shape: MaskShape) -> None:
    swapped = Detections([[150, 150, 50, 50]], [0.9])
    frame = redact_faces(
        noisy(), swapped, RedactionSettings(mode=RedactionMode.SOLID, shape=shape, mask_scale=1.0)
    )
    assert (frame[100, 60:140] == 0).all() and (frame[60:140, 100] == 0).all()


def test_masked_copy_matches_numpy_for_any_mask_layout() -> None:
    """The fast masked copy writes exactly the masked pixels, whatever the mask's memory layout."""
    from veil.vision.redact.apply import copy_masked

    rng = np.random.default_rng(3)
    hidden = noisy(90, 120, seed=4)
    masks = {
        "contiguous": rng.random((90, 120)) > 0.5,
        "transposed view": np.ascontiguousarray(rng.random((120, 90)) > 0.5).T,
        "strided view": (rng.random((180, 120)) > 0.5)[::2],
    }
    for name, where in masks.items():
        frame = noisy(300, 400)
        expected = frame.copy()
        np.copyto(expected[10:100, 20:140], hidden, where=where[:, :, None])
        copy_masked(hidden, where, frame[10:100, 20:140])  # a view into a larger frame
        assert np.array_equal(frame, expected), name


def test_solid_paints_exactly_the_colour_inside_the_ellipse() -> None:
    original = noisy()
    settings = RedactionSettings(mode=RedactionMode.SOLID, mask_scale=1.0, color=(10, 200, 30))
    frame = redact_faces(original.copy(), FACE, settings)
    assert frame[100, 100].tolist() == [10, 200, 30]
    changed = np.any(frame != original, axis=2)
    assert np.array_equal(frame[changed], np.tile([10, 200, 30], (int(changed.sum()), 1)))
    assert not changed[50, 50] and not changed[149, 149]  # the ellipse leaves the box's corners
